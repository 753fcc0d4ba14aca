using Liaa.AppHost.Orchestration;

namespace Liaa.AppHost.Otlp;

/// <summary>
/// An <see cref="OtlpReceiver"/> as the cluster sees it: where its nodes export (one of the
/// receiver's two listeners, by <see cref="Protocol"/>) and the <see cref="TelemetryStore"/> that
/// keeps what they sent. Built before the server hosting the receiver starts; <see cref="Endpoint"/>
/// is read only when a node is launched, by which time the free ports are known.
/// </summary>
internal sealed class ClusterTelemetry : IClusterTelemetry
{
    public ClusterTelemetry(OtlpReceiver receiver, string protocol = "http/protobuf")
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (protocol is not ("http/protobuf" or "grpc"))
        {
            throw new ArgumentException($"OTLP protocol '{protocol}' is not 'grpc' or 'http/protobuf'.", nameof(protocol));
        }

        Receiver = receiver;
        Protocol = protocol;
    }

    public OtlpReceiver Receiver { get; }

    public TelemetryStore Store => Receiver.Store;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The server hosting the receiver has not started.</exception>
    public Uri Endpoint => Protocol == "grpc" ? Receiver.GrpcEndpoint : Receiver.HttpEndpoint;

    public string Protocol { get; }
}

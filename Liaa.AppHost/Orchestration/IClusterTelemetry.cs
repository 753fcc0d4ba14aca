namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The seam between the orchestration and an OTLP receiver: where the nodes should export. The
/// AppHost's receiver (<c>Otlp/ClusterTelemetry</c>, hosted by <c>Hosting/AppHostWebHost</c>) is
/// handed to the cluster through <see cref="LiaaClusterOptions.Telemetry"/>; without one the cluster
/// runs its own (<see cref="LiaaClusterOptions.ReceiveTelemetry"/>). Either way the dashboard and the
/// tests read what arrived through <see cref="LiaaCluster.TelemetryStore"/>.
/// </summary>
public interface IClusterTelemetry
{
    /// <summary>The OTLP endpoint the nodes export to, e.g. <c>http://127.0.0.1:4318</c>.</summary>
    Uri Endpoint { get; }

    /// <summary>The OTLP protocol of <see cref="Endpoint"/>: <c>http/protobuf</c> or <c>grpc</c>.</summary>
    string Protocol { get; }
}

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The seam between the orchestration and the AppHost's OTLP receiver (<c>Liaa.AppHost/Otlp</c>):
/// the receiver's store implements it, is handed to the cluster through
/// <see cref="LiaaClusterOptions.Telemetry"/>, and is read back by the dashboard and the tests through
/// <see cref="LiaaCluster.Telemetry"/> (cast to the store type for its queries). The orchestration
/// only needs to know where the nodes should export.
/// </summary>
public interface IClusterTelemetry
{
    /// <summary>The OTLP endpoint the nodes export to, e.g. <c>http://127.0.0.1:4318</c>.</summary>
    Uri Endpoint { get; }

    /// <summary>The OTLP protocol of <see cref="Endpoint"/>: <c>http/protobuf</c> or <c>grpc</c>.</summary>
    string Protocol { get; }
}

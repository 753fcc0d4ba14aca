namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>The three OTLP signals, with their <c>http/protobuf</c> paths and gRPC method paths.</summary>
internal enum OtlpSignal
{
    Traces,
    Metrics,
    Logs,
}

internal static class OtlpSignalPaths
{
    public static string HttpPath(this OtlpSignal signal) => signal switch
    {
        OtlpSignal.Traces => "/v1/traces",
        OtlpSignal.Metrics => "/v1/metrics",
        _ => "/v1/logs",
    };

    public static string GrpcPath(this OtlpSignal signal) => signal switch
    {
        OtlpSignal.Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        OtlpSignal.Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        _ => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    };
}

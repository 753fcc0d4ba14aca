using System.Diagnostics;
using Liaa.AppHost.Otlp;

namespace Liaa.Tests.Dashboard;

/// <summary>Telemetry as the OTLP receiver stores it, for the dashboard's unit tests.</summary>
internal static class DashboardTestData
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static TelemetryResource Resource(string node, string? instance = null) =>
        new(new ServiceKey(node, instance), new Dictionary<string, object?> { ["service.name"] = node });

    public static StoredSpan Span(
        string spanId,
        string? parent,
        string name,
        double startMs,
        double durationMs,
        string node = "node-0",
        string? instance = null,
        ActivityKind kind = ActivityKind.Internal,
        ActivityStatusCode status = ActivityStatusCode.Unset,
        Dictionary<string, object?>? attributes = null,
        string traceId = "0af7651916cd43dd8448eb211c80319c") =>
        new(Resource(node, instance), "Liaa.Node", traceId, spanId, parent, name, kind,
            T0.AddMilliseconds(startMs), T0.AddMilliseconds(startMs + durationMs), status, null,
            attributes ?? [], [], []);

    public static StoredMetricPoint Counter(string name, double value, double seconds, string node = "node-0", string method = "PING", double startSeconds = -3600) =>
        new(Resource(node, "id-" + node), "Liaa.Node", name, string.Empty, "{request}", MetricPointKind.Sum, true, MetricTemporality.Cumulative,
            new Dictionary<string, object?> { ["rpc.method"] = method }, T0.AddSeconds(startSeconds), T0.AddSeconds(seconds), value, null, null);

    public static StoredMetricPoint Histogram(string name, ulong count, double sum, double seconds, string node = "node-0", string kind = "FIND_NODE") =>
        new(Resource(node, "id-" + node), "Liaa.Node", name, string.Empty, "s", MetricPointKind.Histogram, false, MetricTemporality.Cumulative,
            new Dictionary<string, object?> { ["liaa.lookup.kind"] = kind }, T0.AddSeconds(-3600), T0.AddSeconds(seconds), null,
            new HistogramValue(count, sum, null, null, [count], []), null);

    public static StoredMetricPoint Gauge(string name, double value, double seconds, string node, string? instance, string attribute, object attributeValue) =>
        new(Resource(node, instance), "Liaa.Node", name, string.Empty, "1", MetricPointKind.Gauge, false, MetricTemporality.Unspecified,
            new Dictionary<string, object?> { [attribute] = attributeValue }, T0, T0.AddSeconds(seconds), value, null, null);
}

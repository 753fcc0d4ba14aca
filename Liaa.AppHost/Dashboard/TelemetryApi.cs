using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// The API of the Logs, Traces and Metrics pages, read from the telemetry store the AppHost's OTLP
/// receiver fills.
/// </summary>
internal static class TelemetryApi
{
    private static readonly TimeSpan MinimumChartStep = TimeSpan.FromSeconds(2);
    private static readonly HashSet<string> BackgroundRoots = new(["refresh", "replicate", "republish", "GET /v1/node", "GET /health"], StringComparer.Ordinal);

    public static void Map(RouteGroupBuilder api, LiaaDashboard dashboard)
    {
        api.MapGet("/logs", (string? node, string? level, string? text, string? traceId, int? limit) =>
        {
            if (!TryParseLevel(level, out var minimum))
            {
                return DashboardJson.Problem(StatusCodes.Status400BadRequest, "Unknown level", $"'{level}' is not trace, debug, information, warning, error or critical.");
            }

            var logs = dashboard.Store.GetLogs(new LogQuery(
                ServiceName: Blank(node),
                TraceId: Blank(traceId),
                MinimumLevel: minimum,
                TextContains: Blank(text),
                Limit: Math.Clamp(limit ?? 200, 1, 5000)));
            return DashboardJson.Ok(logs.Reverse().Select(LogView.From).ToList());
        });

        api.MapGet("/traces", (string? node, string? operation, double? minMs, double? maxMs, string? outcome, string? background, int? limit) =>
            DashboardJson.Ok(ListTraces(
                dashboard.Store,
                new TraceFilter(Blank(node), Blank(operation), minMs, maxMs, Blank(outcome), background == "hide"),
                Math.Clamp(limit ?? 100, 1, 1000))));

        api.MapGet("/traces/{traceId}", (string traceId) =>
            TraceWaterfall.Build(dashboard.Store.GetTrace(traceId), dashboard.Directory()) is { } waterfall
                ? DashboardJson.Ok(waterfall)
                : DashboardJson.Problem(StatusCodes.Status404NotFound, "No such trace", $"No span of trace {traceId} is held (yet)."));

        api.MapGet("/metrics/series", (string? node, int? minutes) =>
            DashboardJson.Ok(Charts(dashboard, Blank(node), TimeSpan.FromMinutes(Math.Clamp(minutes ?? 3, 1, 60)))));

        api.MapGet("/metrics/buckets", () =>
        {
            var views = dashboard.NodeViews();
            var gauges = NodeGauges.Read(dashboard.Store, views.ToDictionary(v => v.Name, v => v.NodeId, StringComparer.Ordinal));
            var rows = views
                .Select(v => new BucketRow(v.Name, v.State, v.IsRunning, gauges.GetValueOrDefault(v.Name) is { } g && g.InstanceId == v.NodeId ? g.BucketFill : []))
                .ToList();
            return DashboardJson.Ok(new BucketMap(rows.Count == 0 ? 0 : rows.Max(r => r.Fill.Count), rows));
        });

        api.MapGet("/metrics/keys", () => DashboardJson.Ok(dashboard.NodeViews()
            .Select(v => new KeysRow(v.Name, v.IsRunning, v.StoredKeys, v.KeysByOrigin ?? new Dictionary<string, long>()))
            .ToList()));
    }

    internal static TraceList ListTraces(TelemetryStore store, TraceFilter filter, int limit)
    {
        var summaries = store.ListTraces(new TraceQuery(ServiceName: filter.Node, SpanName: filter.Operation, OnlyErrors: filter.Outcome == "error", Limit: 5000));
        var traces = summaries
            .Where(t => (filter.MinMs is null || t.Duration.TotalMilliseconds >= filter.MinMs) && (filter.MaxMs is null || t.Duration.TotalMilliseconds <= filter.MaxMs))
            .Where(t => filter.Outcome != "ok" || !t.HasError)
            .Where(t => !filter.HideBackground || !IsBackground(t))
            .Take(limit)
            .Select(t => new TraceListItem(
                t.TraceId,
                t.RootName,
                t.RootService.ServiceName,
                t.StartTime,
                Math.Round(t.Duration.TotalMilliseconds, 3),
                t.SpanCount,
                [.. t.Services.Select(s => s.ServiceName).Distinct(StringComparer.Ordinal)],
                t.HasError))
            .ToList();
        var operations = store.GetSpans(new SpanQuery(Limit: 5000))
            .Select(s => s.Name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new TraceList(traces, operations, summaries.Count);
    }

    /// <summary>
    /// Work nobody asked for: what every node does on its own timers (bucket refresh, replication,
    /// republishing), the AppHost's probes of the nodes, and lone inbound RPCs whose requester sent no
    /// trace context (a first contact is plain rpcudp, see DESIGN.md).
    /// </summary>
    internal static bool IsBackground(TraceSummary trace) =>
        BackgroundRoots.Contains(trace.RootName)
        || (trace.SpanCount == 1 && trace.RootName.StartsWith("kademlia/", StringComparison.Ordinal));

    internal static MetricCharts Charts(LiaaDashboard dashboard, string? node, TimeSpan span)
    {
        // About 90 windows whatever the span, never shorter than a few metric exports.
        var step = TimeSpan.FromSeconds(Math.Max(MinimumChartStep.TotalSeconds, Math.Round(span.TotalSeconds / 90)));
        var windows = MetricSeries.Windows(dashboard.TimeProvider.GetUtcNow(), step, (int)(span / step));
        IReadOnlyList<StoredMetricPoint> Points(string name) => dashboard.Store.GetMetrics(new MetricQuery(ServiceName: node, Name: name));
        var byMethod = MetricSeries.ByAttribute("rpc.method");
        var byKind = MetricSeries.ByAttribute("liaa.lookup.kind");
        return new MetricCharts(
            windows.From,
            windows.Step.TotalMilliseconds,
            windows.Count,
            MetricSeries.Rates(Points("liaa.rpc.server.requests"), byMethod, windows),
            MetricSeries.Rates(Points("liaa.rpc.client.timeouts"), byMethod, windows),
            MetricSeries.HistogramMeans(Points("liaa.lookup.duration"), byKind, windows, scale: 1000),
            MetricSeries.HistogramMeans(Points("liaa.lookup.rounds"), byKind, windows));
    }

    internal static bool TryParseLevel(string? level, out LogLevel minimum)
    {
        minimum = LogLevel.Trace;
        return string.IsNullOrWhiteSpace(level) || (Enum.TryParse(level, ignoreCase: true, out minimum) && minimum != LogLevel.None);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>One structured log record, newest first in lists.</summary>
internal sealed record LogView(
    DateTimeOffset Time,
    string Node,
    string? NodeId,
    LogLevel Level,
    string Category,
    string? Message,
    string? EventName,
    string? TraceId,
    string? SpanId,
    IReadOnlyDictionary<string, object?> Attributes)
{
    public static LogView From(StoredLogRecord log) => new(
        log.Timestamp,
        log.Service.ServiceName,
        log.Service.InstanceId,
        log.Level,
        log.ScopeName,
        log.Body,
        log.EventName,
        string.IsNullOrEmpty(log.TraceId) ? null : log.TraceId,
        string.IsNullOrEmpty(log.SpanId) ? null : log.SpanId,
        log.Attributes);
}

/// <summary>
/// Which traces to list: with a span from <c>Node</c>, with a span named <c>Operation</c>, lasting
/// between <c>MinMs</c> and <c>MaxMs</c>, with <c>Outcome</c> <c>ok</c> (no error span) or
/// <c>error</c>, and with <c>HideBackground</c> none of the work nobody asked for (see <see cref="TelemetryApi.IsBackground"/>).
/// </summary>
internal sealed record TraceFilter(string? Node = null, string? Operation = null, double? MinMs = null, double? MaxMs = null, string? Outcome = null, bool HideBackground = false);

/// <summary>Traces newest first, the span names seen recently (for the operation filter), and how many matched before the duration filter and limit.</summary>
internal sealed record TraceList(IReadOnlyList<TraceListItem> Traces, IReadOnlyList<string> Operations, int Matched);

internal sealed record TraceListItem(
    string TraceId,
    string Name,
    string Node,
    DateTimeOffset Start,
    double DurationMs,
    int SpanCount,
    IReadOnlyList<string> Nodes,
    bool HasError);

/// <summary>The Metrics page's charts: one value per window of <see cref="StepMs"/> from <see cref="From"/>.</summary>
internal sealed record MetricCharts(
    DateTimeOffset From,
    double StepMs,
    int Windows,
    IReadOnlyList<ChartSeries> RpcRates,
    IReadOnlyList<ChartSeries> Timeouts,
    IReadOnlyList<ChartSeries> LookupLatencyMs,
    IReadOnlyList<ChartSeries> LookupRounds);

/// <summary>Bucket fill (contacts / k) by node and bucket index, for the heat map.</summary>
internal sealed record BucketMap(int Buckets, IReadOnlyList<BucketRow> Nodes);

internal sealed record BucketRow(string Node, Orchestration.NodeState State, bool IsRunning, IReadOnlyList<double> Fill);

internal sealed record KeysRow(string Node, bool IsRunning, long? Total, IReadOnlyDictionary<string, long> ByOrigin);

using Microsoft.Extensions.Logging;
namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// Selects traces, newest start first: <c>ServiceName</c>/<c>InstanceId</c> keep traces with a span
/// from that service, <c>SpanName</c> traces containing a span of exactly that name, <c>Since</c>
/// traces that started at or after it, <c>OnlyErrors</c> traces with an error span.
/// </summary>
internal sealed record TraceQuery(
    string? ServiceName = null,
    string? InstanceId = null,
    string? SpanName = null,
    DateTimeOffset? Since = null,
    bool OnlyErrors = false,
    int Limit = 100);

/// <summary>
/// A trace at a glance, for lists. <c>RootName</c>/<c>RootService</c> describe the earliest span
/// without a parent id (or, while that has not arrived, the earliest whose parent is not held);
/// <c>HasRoot</c> says whether a parentless span has arrived.
/// </summary>
internal sealed record TraceSummary(
    string TraceId,
    string RootName,
    ServiceKey RootService,
    bool HasRoot,
    DateTimeOffset StartTime,
    TimeSpan Duration,
    int SpanCount,
    IReadOnlyList<ServiceKey> Services,
    bool HasError);

/// <summary>Selects spans; results are in arrival order, the newest <c>Limit</c>.</summary>
internal sealed record SpanQuery(
    string? ServiceName = null,
    string? InstanceId = null,
    string? Name = null,
    string? TraceId = null,
    System.Diagnostics.ActivityKind? Kind = null,
    int Limit = 1000);

/// <summary>
/// Selects log records; results are in arrival order, the newest <c>Limit</c>. <c>TextContains</c>
/// searches the body, ignoring case.
/// </summary>
internal sealed record LogQuery(
    string? ServiceName = null,
    string? InstanceId = null,
    string? TraceId = null,
    LogLevel MinimumLevel = LogLevel.Trace,
    string? TextContains = null,
    int Limit = 1000);

/// <summary>
/// Selects metric points; results are in arrival order, the newest <c>Limit</c>. With
/// <c>LatestOnly</c>, only the newest point of each series (service, scope, metric, attributes).
/// </summary>
internal sealed record MetricQuery(
    string? ServiceName = null,
    string? InstanceId = null,
    string? Name = null,
    bool LatestOnly = false,
    int Limit = 10_000);

/// <summary>A service seen by the store and how much of its telemetry is still held.</summary>
internal sealed record ServiceSummary(ServiceKey Service, DateTimeOffset LastSeen, int Spans, int MetricPoints, int LogRecords);

/// <summary>What arrived: raised once per accepted export request.</summary>
internal sealed record TelemetryChange(ServiceKey[] Services, int Spans, int MetricPoints, int LogRecords, long Version);

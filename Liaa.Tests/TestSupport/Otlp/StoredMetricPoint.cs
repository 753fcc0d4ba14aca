namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// One data point of one metric as exported at <see cref="Time"/>. Number points carry
/// <see cref="Value"/>; histogram points carry <see cref="Histogram"/>; summary points carry
/// <see cref="Summary"/>. With cumulative temporality (the .NET SDK's default) the latest point of a
/// series is its current total.
/// </summary>
internal sealed record StoredMetricPoint(
    TelemetryResource Resource,
    string ScopeName,
    string Name,
    string Description,
    string Unit,
    MetricPointKind Kind,
    bool IsMonotonic,
    MetricTemporality Temporality,
    IReadOnlyDictionary<string, object?> Attributes,
    DateTimeOffset StartTime,
    DateTimeOffset Time,
    double? Value,
    HistogramValue? Histogram,
    SummaryValue? Summary)
{
    public ServiceKey Service => Resource.Service;
}

internal enum MetricPointKind
{
    Gauge,
    Sum,
    Histogram,
    Summary,
}

internal enum MetricTemporality
{
    Unspecified,
    Delta,
    Cumulative,
}

/// <summary>
/// An explicit-bucket histogram point: <see cref="BucketCounts"/> has one more entry than
/// <see cref="ExplicitBounds"/> (the last bucket is unbounded), counts per bucket, not cumulative.
/// </summary>
internal sealed record HistogramValue(
    ulong Count,
    double? Sum,
    double? Min,
    double? Max,
    IReadOnlyList<ulong> BucketCounts,
    IReadOnlyList<double> ExplicitBounds);

internal sealed record SummaryValue(ulong Count, double Sum);

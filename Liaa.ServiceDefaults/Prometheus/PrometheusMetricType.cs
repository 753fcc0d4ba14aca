namespace Liaa.ServiceDefaults.Prometheus;

/// <summary>The Prometheus 0.0.4 text types Liaa renders (summaries and untyped are never produced).</summary>
internal enum PrometheusMetricType
{
    /// <summary>Monotonic sums; the family name ends in <c>_total</c>.</summary>
    Counter,

    /// <summary>Gauges and non-monotonic sums (up-down counters).</summary>
    Gauge,

    /// <summary>Explicit-bucket histograms: cumulative <c>_bucket{le}</c>, <c>_sum</c>, <c>_count</c>.</summary>
    Histogram,
}

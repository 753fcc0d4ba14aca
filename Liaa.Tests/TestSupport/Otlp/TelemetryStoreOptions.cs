namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>How much telemetry the AppHost keeps in memory; the oldest goes first.</summary>
internal sealed class TelemetryStoreOptions
{
    /// <summary>Spans kept across all traces.</summary>
    /// <value>Default 50 000.</value>
    public int MaxSpans { get; set; } = 50_000;

    /// <summary>Metric data points kept (each export of each series is one point).</summary>
    /// <value>Default 100 000.</value>
    public int MaxMetricPoints { get; set; } = 100_000;

    /// <summary>Log records kept.</summary>
    /// <value>Default 20 000.</value>
    public int MaxLogRecords { get; set; } = 20_000;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSpans, 1, nameof(MaxSpans));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMetricPoints, 1, nameof(MaxMetricPoints));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLogRecords, 1, nameof(MaxLogRecords));
    }
}

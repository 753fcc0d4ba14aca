using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Liaa.ServiceDefaults.Prometheus;

/// <summary>
/// Liaa's Prometheus pull exporter: a scrape asks the SDK to collect (through the
/// <see cref="Collect"/> delegate the <see cref="BaseExportingMetricReader"/> hands a pull exporter),
/// the SDK calls <see cref="Export"/> on the same thread, and the batch is rendered there, the only
/// place it is valid. Concurrent scrapes are serialised and a rendered scrape is reused for
/// <see cref="CacheDuration"/>, so Prometheus plus a curl cannot make the SDK collect twice at once.
/// </summary>
/// <remarks>
/// Cumulative temporality (the reader's default) is what Prometheus expects. Calling
/// <c>reader.Collect()</c> on a pull-only reader returns <c>false</c> without exporting; only the
/// delegate opens the pull scope. After the meter provider is disposed the delegate is cleared and
/// <see cref="ScrapeAsync"/> returns <c>null</c>.
/// </remarks>
[ExportModes(ExportModes.Pull)]
internal sealed class PrometheusExporter : BaseExporter<Metric>, IPullMetricExporter
{
    private readonly SemaphoreSlim _scrapeGate = new(1, 1);
    private readonly TimeProvider _timeProvider;
    private byte[]? _cached;
    private long _cachedAt;
    private string? _rendered;

    /// <param name="timeProvider">Clock for the scrape cache.</param>
    /// <param name="cacheDuration">How long a rendered scrape is served again; zero disables the cache.</param>
    public PrometheusExporter(TimeProvider timeProvider, TimeSpan cacheDuration)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(cacheDuration, TimeSpan.Zero);
        _timeProvider = timeProvider;
        CacheDuration = cacheDuration;
    }

    /// <summary>How long a rendered scrape is reused.</summary>
    /// <value>Set at construction; Liaa's default is 1 second.</value>
    public TimeSpan CacheDuration { get; }

    /// <summary>Set by the metric reader: collects and calls <see cref="Export"/> synchronously.</summary>
    public Func<int, bool>? Collect { get; set; }

    /// <summary>
    /// Collects and renders the metrics (or returns the cached rendering), UTF-8 encoded. Returns
    /// <c>null</c> when the SDK is gone or collection failed.
    /// </summary>
    public async Task<byte[]?> ScrapeAsync(CancellationToken cancellationToken)
    {
        await _scrapeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _timeProvider.GetTimestamp();
            if (_cached is not null && _timeProvider.GetElapsedTime(_cachedAt, now) < CacheDuration)
            {
                return _cached;
            }

            var collect = Collect;
            if (collect is null)
            {
                return null;
            }

            _rendered = null;
            if (!collect(Timeout.Infinite) || _rendered is null)
            {
                return null;
            }

            _cached = Encoding.UTF8.GetBytes(_rendered);
            _cachedAt = now;
            _rendered = null;
            return _cached;
        }
        finally
        {
            _scrapeGate.Release();
        }
    }

    /// <inheritdoc />
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var metrics = new List<Metric>();
        foreach (var metric in batch)
        {
            metrics.Add(metric);
        }

        _rendered = PrometheusTextWriter.Write(metrics, ParentProvider?.GetResource());
        return ExportResult.Success;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Collect = null;
        }

        base.Dispose(disposing);
    }
}

using System.Diagnostics.Metrics;
using Liaa.ServiceDefaults.Prometheus;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Liaa.ServiceDefaults;

/// <summary>
/// The OpenTelemetry SDK of one host: tracing and metrics built with
/// <see cref="OpenTelemetrySdk.Create"/> (the core package has no <c>services.AddOpenTelemetry()</c>),
/// Liaa's Prometheus pull exporter, and OTLP export when configured. Logs go through the host's own
/// OpenTelemetry logger provider (<c>builder.Logging.AddOpenTelemetry</c>), which shares the resource.
/// </summary>
/// <remarks>
/// Owned by the host: created when the host starts (before any hosted service runs) and disposed
/// once every hosted service has stopped, which flushes spans and metrics still buffered. It is a
/// factory-registered singleton, so the container disposes it too if the host never started.
/// </remarks>
public sealed class LiaaTelemetry : IDisposable
{
    private readonly OpenTelemetrySdk _sdk;
    private int _disposed;

    internal LiaaTelemetry(
        LiaaTelemetryOptions options,
        Resource resource,
        OtlpExportSettings? otlp,
        IMeterFactory? hostMeterFactory,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resource);
        Resource = resource;
        Otlp = otlp;
        Prometheus = new PrometheusExporter(timeProvider, options.PrometheusCacheDuration);
        _sdk = OpenTelemetrySdk.Create(builder => builder
            .ConfigureResource(r => r.Clear().AddAttributes(resource.Attributes))
            .WithTracing(tracing => ConfigureTracing(tracing, options, otlp))
            .WithMetrics(metrics => ConfigureMetrics(metrics, options, otlp, hostMeterFactory)));
    }

    /// <summary>The resource every signal carries (service name, instance id, SDK).</summary>
    public Resource Resource { get; }

    public TracerProvider TracerProvider => _sdk.TracerProvider;

    public MeterProvider MeterProvider => _sdk.MeterProvider;

    /// <summary>Where OTLP goes, or <c>null</c> when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is unset.</summary>
    internal OtlpExportSettings? Otlp { get; }

    internal PrometheusExporter Prometheus { get; }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Exports the spans buffered so far and pushes a metric export to OTLP. Returns whether the spans
    /// were exported within the timeout (the Prometheus reader only collects when scraped, so the
    /// meter provider's own flush result is always false and is not reported).
    /// </summary>
    public bool ForceFlush(TimeSpan timeout)
    {
        if (IsDisposed)
        {
            return false;
        }

        var milliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        var traces = _sdk.TracerProvider.ForceFlush(milliseconds);
        _sdk.MeterProvider.ForceFlush(milliseconds);
        return traces;
    }

    /// <summary>Shuts the providers down, exporting what is buffered. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _sdk.Dispose();
        }
    }

    private static void ConfigureTracing(TracerProviderBuilder tracing, LiaaTelemetryOptions options, OtlpExportSettings? otlp)
    {
        foreach (var source in options.ActivitySources)
        {
            tracing.AddSource(source);
        }

        if (otlp is not null)
        {
            tracing.AddOtlpExporter(o => otlp.Apply(o, otlp.TracesEndpoint));
        }

        options.ConfigureTracing?.Invoke(tracing);
    }

    private void ConfigureMetrics(
        MeterProviderBuilder metrics,
        LiaaTelemetryOptions options,
        OtlpExportSettings? otlp,
        IMeterFactory? hostMeterFactory)
    {
        foreach (var meter in options.Meters)
        {
            metrics.AddMeter(meter);
        }

        if (options.IsolateHostMeters && hostMeterFactory is not null)
        {
            // Meters from IMeterFactory carry it as their scope; listeners match by name across the
            // whole process, so another host's "Liaa.Node" meter would otherwise be reported here too.
            metrics.AddView(instrument =>
                instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, hostMeterFactory)
                    ? MetricStreamConfiguration.Drop
                    : null);
        }

        metrics.AddReader(new BaseExportingMetricReader(Prometheus));
        if (otlp is not null)
        {
            metrics.AddOtlpExporter((exporter, reader) =>
            {
                otlp.Apply(exporter, otlp.MetricsEndpoint);
                if (otlp.MetricExportIntervalMilliseconds is { } interval)
                {
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
                }
            });
        }

        options.ConfigureMetrics?.Invoke(metrics);
    }
}

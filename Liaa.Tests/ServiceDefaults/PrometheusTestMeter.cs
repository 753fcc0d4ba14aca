using System.Diagnostics.Metrics;
using System.Text;
using Liaa.ServiceDefaults.Prometheus;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// A meter wired to a real SDK meter provider whose only reader is Liaa's Prometheus exporter.
/// Each test names its own meter: listeners match meters by name across the process, and tests run
/// in parallel.
/// </summary>
internal sealed class PrometheusTestMeter : IDisposable
{
    public const string TargetInfo = "# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{service_name=\"test\"} 1\n";

    private readonly MeterProvider _provider;

    public PrometheusTestMeter(string meterName, TimeProvider? time = null, TimeSpan? cacheDuration = null, Action<MeterProviderBuilder>? configure = null)
    {
        Meter = new Meter(meterName);
        Exporter = new PrometheusExporter(time ?? TimeProvider.System, cacheDuration ?? TimeSpan.Zero);
        var builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddAttributes([new("service.name", "test")]))
            .AddMeter(meterName)
            .AddReader(new BaseExportingMetricReader(Exporter));
        configure?.Invoke(builder);
        _provider = builder.Build();
    }

    public Meter Meter { get; }

    public PrometheusExporter Exporter { get; }

    public async Task<string> ScrapeAsync()
    {
        var body = await Exporter.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(body);
        return Encoding.UTF8.GetString(body);
    }

    public void Dispose()
    {
        _provider.Dispose();
        Meter.Dispose();
    }
}

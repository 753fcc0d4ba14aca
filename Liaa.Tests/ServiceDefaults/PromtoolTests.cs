using OpenTelemetry.Metrics;

namespace Liaa.Tests.ServiceDefaults;

[Trait("Category", "Integration")]
public sealed class PromtoolTests
{
    private const string Promtool = "/usr/bin/promtool";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CheckMetrics_ReportsNoProblem_ForEveryInstrumentKind()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);
        using var test = new PrometheusTestMeter(
            "Test.Promtool",
            configure: b => b.AddView("liaa.lookup.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [0.01, 0.1, 1] }));
        var tag = new KeyValuePair<string, object?>("rpc.method", "FIND_\"NODE\"\\\n");
        test.Meter.CreateCounter<long>("liaa.rpc.server.requests", "{request}", "Requests served.").Add(3, tag);
        test.Meter.CreateCounter<double>("liaa.busy.time", "s", "Busy time.").Add(0.5);
        test.Meter.CreateUpDownCounter<long>("liaa.routing_table.contacts", "{contact}", "Contacts.").Add(4);
        test.Meter.CreateObservableGauge("liaa.bucket.fill", () => 0.5, "1", "Bucket fill.");
        test.Meter.CreateObservableGauge("liaa.undescribed", () => double.NaN);
        var histogram = test.Meter.CreateHistogram<double>("liaa.lookup.duration", "s", "Lookup duration.");
        histogram.Record(0.05, tag);
        histogram.Record(5, tag);
        var text = await test.ScrapeAsync();

        var (exitCode, _, problems) = await ToolProcess.RunAsync(Promtool, ["check", "metrics"], text, ToolTimeout);

        Assert.Equal(string.Empty, problems);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task CheckMetrics_ReportsOnlyRuntimeCountSuffixLints_ForServiceDefaultsEndpoint()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        (await http.GetAsync("/v1/values/a", TestContext.Current.CancellationToken)).Dispose();
        var text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        var (exitCode, _, problems) = await ToolProcess.RunAsync(Promtool, ["check", "metrics"], text, ToolTimeout);

        // System.Runtime names its up-down counters "*.count" (OpenTelemetry semantic conventions);
        // the Prometheus lint prefers other names for gauges. That lint (exit code 3) is the only
        // thing promtool may report: any parse error (exit code 1) or other lint fails the test.
        Assert.Equal(
            [
                "dotnet_assembly_count non-histogram and non-summary metrics should not have \"_count\" suffix",
                "dotnet_process_cpu_count non-histogram and non-summary metrics should not have \"_count\" suffix",
                "dotnet_timer_count non-histogram and non-summary metrics should not have \"_count\" suffix",
            ],
            problems.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Equal(3, exitCode);
    }
}

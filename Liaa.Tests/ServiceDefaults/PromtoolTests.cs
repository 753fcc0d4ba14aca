using System.Diagnostics.Metrics;
using Liaa.Tests.Faults;
using Microsoft.Extensions.DependencyInjection;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// <c>promtool check metrics</c> on what the Prometheus exporter serves: no parse error, and no lint but
/// the one about System.Runtime's <c>*.count</c> up-down counters (OpenTelemetry's semantic conventions
/// name them so; the Prometheus lint prefers other names for gauges).
/// </summary>
[Trait("Category", "Integration")]
public sealed class PromtoolTests
{
    private const string Promtool = "/usr/bin/promtool";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    /// <summary>promtool exits 3 when it found only lints; 1 is a parse error.</summary>
    private const int LintsOnly = 3;

    internal static readonly string[] RuntimeCountLints =
    [
        "dotnet_assembly_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "dotnet_process_cpu_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "dotnet_thread_pool_thread_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "dotnet_timer_count non-histogram and non-summary metrics should not have \"_count\" suffix",
    ];

    [Fact]
    public async Task CheckMetrics_ReportsOnlyRuntimeCountSuffixLints_ForEveryInstrumentKindOnTheEndpoint()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var meter = app.App.Services.GetRequiredService<IMeterFactory>().Create("Liaa.Node");
        var awkward = new KeyValuePair<string, object?>("rpc.method", "FIND_\"NODE\"\\\n");
        meter.CreateCounter<long>("liaa.promtool.requests", "{request}", "Requests served.").Add(3, awkward);
        meter.CreateCounter<double>("liaa.promtool.busy", "s", "Busy time.").Add(0.5);
        meter.CreateUpDownCounter<long>("liaa.promtool.contacts", "{contact}", "Contacts.").Add(4);
        meter.CreateObservableGauge("liaa.promtool.fill", () => 0.5, "1", "Bucket fill.");
        meter.CreateObservableGauge("liaa.promtool.nan", () => double.NaN, "1", "Not a number.");
        var histogram = meter.CreateHistogram<double>("liaa.promtool.duration", "s", "Lookup duration.");
        histogram.Record(0.05, awkward);
        histogram.Record(5, awkward);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        (await http.GetAsync("/v1/values/a", TestContext.Current.CancellationToken)).Dispose();
        var text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("\nliaa_promtool_duration_seconds_bucket{", text, StringComparison.Ordinal);

        var (exitCode, _, problems) = await ToolProcess.RunAsync(Promtool, ["check", "metrics"], text, ToolTimeout);

        Assert.Equal(RuntimeCountLints, Lines(problems));
        Assert.Equal(LintsOnly, exitCode);
    }

    [Fact]
    public async Task CheckMetrics_ReportsOnlyRuntimeCountSuffixLints_ForARealNode()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);
        await using var node = await LiveNode.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var text = await http.GetStringAsync(new Uri(node.HttpUrl, "/metrics"), TestContext.Current.CancellationToken);
        Assert.Contains("\nliaa_routing_bucket_fill{", text, StringComparison.Ordinal);
        Assert.Contains("\nliaa_storage_keys{", text, StringComparison.Ordinal);

        var (exitCode, _, problems) = await ToolProcess.RunAsync(Promtool, ["check", "metrics"], text, ToolTimeout);

        Assert.Equal(RuntimeCountLints, Lines(problems));
        Assert.Equal(LintsOnly, exitCode);
    }

    private static string[] Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];
}

using System.Diagnostics.Metrics;
using Liaa.Node.Simulation;
using OpenTelemetry.Metrics;

namespace Liaa.Tests.ServiceDefaults;

public sealed class PrometheusExporterTests
{
    [Fact]
    public async Task Scrape_RendersCounterWithTotalSuffixAndLabels_ForMonotonicSum()
    {
        using var test = new PrometheusTestMeter("Test.Counter");
        var counter = test.Meter.CreateCounter<long>("liaa.rpc.server.requests", "{request}", "RPC requests served.");
        counter.Add(2, new KeyValuePair<string, object?>("rpc.method", "PING"));
        counter.Add(1, new KeyValuePair<string, object?>("rpc.method", "PING"));
        counter.Add(5, new KeyValuePair<string, object?>("rpc.method", "FIND_NODE"));

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_rpc_server_requests_total RPC requests served.\n" +
            "# TYPE liaa_rpc_server_requests_total counter\n" +
            "liaa_rpc_server_requests_total{otel_scope_name=\"Test.Counter\",rpc_method=\"PING\"} 3\n" +
            "liaa_rpc_server_requests_total{otel_scope_name=\"Test.Counter\",rpc_method=\"FIND_NODE\"} 5\n",
            text);
    }

    [Fact]
    public async Task Scrape_RendersDoubleCounterWithUnitSuffix_ForSeconds()
    {
        using var test = new PrometheusTestMeter("Test.DoubleCounter");
        test.Meter.CreateCounter<double>("liaa.busy.time", "s", "Time spent busy.").Add(1.5);

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_busy_time_seconds_total Time spent busy.\n" +
            "# TYPE liaa_busy_time_seconds_total counter\n" +
            "liaa_busy_time_seconds_total{otel_scope_name=\"Test.DoubleCounter\"} 1.5\n",
            text);
    }

    [Fact]
    public async Task Scrape_RendersGaugeWithRatioSuffix_ForObservableGaugeInUnitOne()
    {
        using var test = new PrometheusTestMeter("Test.Gauge");
        test.Meter.CreateObservableGauge(
            "liaa.bucket.fill",
            () => new[]
            {
                new Measurement<double>(0.25, new KeyValuePair<string, object?>("bucket", 3)),
                new Measurement<double>(1, new KeyValuePair<string, object?>("bucket", 159)),
            },
            "1",
            "Contacts in the k-bucket divided by k.");

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_bucket_fill_ratio Contacts in the k-bucket divided by k.\n" +
            "# TYPE liaa_bucket_fill_ratio gauge\n" +
            "liaa_bucket_fill_ratio{otel_scope_name=\"Test.Gauge\",bucket=\"3\"} 0.25\n" +
            "liaa_bucket_fill_ratio{otel_scope_name=\"Test.Gauge\",bucket=\"159\"} 1\n",
            text);
    }

    [Fact]
    public async Task Scrape_RendersLongObservableGaugeInBytes_WithBytesSuffix()
    {
        using var test = new PrometheusTestMeter("Test.LongGauge");
        test.Meter.CreateObservableGauge("liaa.storage.size", () => 4096L, "By", "Bytes stored.");

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_storage_size_bytes Bytes stored.\n" +
            "# TYPE liaa_storage_size_bytes gauge\n" +
            "liaa_storage_size_bytes{otel_scope_name=\"Test.LongGauge\"} 4096\n",
            text);
    }

    [Fact]
    public async Task Scrape_RendersUpDownCounterAsGaugeWithoutTotal_ForNonMonotonicSum()
    {
        using var test = new PrometheusTestMeter("Test.UpDown");
        var contacts = test.Meter.CreateUpDownCounter<long>("liaa.routing_table.contacts", "{contact}", "Contacts in the routing table.");
        contacts.Add(10);
        contacts.Add(-3);
        test.Meter.CreateObservableUpDownCounter("liaa.replacement_cache.contacts", () => -2.5, "{contact}");

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_routing_table_contacts Contacts in the routing table.\n" +
            "# TYPE liaa_routing_table_contacts gauge\n" +
            "liaa_routing_table_contacts{otel_scope_name=\"Test.UpDown\"} 7\n" +
            "# HELP liaa_replacement_cache_contacts liaa.replacement_cache.contacts\n" +
            "# TYPE liaa_replacement_cache_contacts gauge\n" +
            "liaa_replacement_cache_contacts{otel_scope_name=\"Test.UpDown\"} -2.5\n",
            text);
    }

    [Fact]
    public async Task Scrape_RendersCumulativeBucketsSumAndCount_ForHistogram()
    {
        using var test = new PrometheusTestMeter(
            "Test.Histogram",
            configure: b => b.AddView("liaa.rpc.client.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [0.1, 1] }));
        var duration = test.Meter.CreateHistogram<double>("liaa.rpc.client.duration", "s", "RPC round trip.");
        var ping = new KeyValuePair<string, object?>("rpc.method", "PING");
        duration.Record(0.0625, ping);
        duration.Record(0.5, ping);
        duration.Record(0.5, ping);
        duration.Record(2, ping);

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_rpc_client_duration_seconds RPC round trip.\n" +
            "# TYPE liaa_rpc_client_duration_seconds histogram\n" +
            "liaa_rpc_client_duration_seconds_bucket{otel_scope_name=\"Test.Histogram\",rpc_method=\"PING\",le=\"0.1\"} 1\n" +
            "liaa_rpc_client_duration_seconds_bucket{otel_scope_name=\"Test.Histogram\",rpc_method=\"PING\",le=\"1\"} 3\n" +
            "liaa_rpc_client_duration_seconds_bucket{otel_scope_name=\"Test.Histogram\",rpc_method=\"PING\",le=\"+Inf\"} 4\n" +
            "liaa_rpc_client_duration_seconds_sum{otel_scope_name=\"Test.Histogram\",rpc_method=\"PING\"} 3.0625\n" +
            "liaa_rpc_client_duration_seconds_count{otel_scope_name=\"Test.Histogram\",rpc_method=\"PING\"} 4\n",
            text);
    }

    [Fact]
    public async Task Scrape_EscapesLabelValuesAndHelp_AndSanitisesNames()
    {
        using var test = new PrometheusTestMeter("Test.Escaping");
        test.Meter.CreateCounter<long>("liaa.odd-name/x", "ms", "Line one\nback\\slash \"quoted\"")
            .Add(1, new KeyValuePair<string, object?>("peer.name", "a\"b\\c\nd"), new KeyValuePair<string, object?>("2xx", true));

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_odd_name_x_milliseconds_total Line one\\nback\\\\slash \"quoted\"\n" +
            "# TYPE liaa_odd_name_x_milliseconds_total counter\n" +
            "liaa_odd_name_x_milliseconds_total{otel_scope_name=\"Test.Escaping\",key_2xx=\"true\",peer_name=\"a\\\"b\\\\c\\nd\"} 1\n",
            text);
    }

    [Fact]
    public async Task Scrape_RendersInfinityAndNaN_InPrometheusSpelling()
    {
        using var test = new PrometheusTestMeter("Test.Special");
        test.Meter.CreateObservableGauge(
            "liaa.special",
            () => new[]
            {
                new Measurement<double>(double.PositiveInfinity, new KeyValuePair<string, object?>("v", "a")),
                new Measurement<double>(double.NegativeInfinity, new KeyValuePair<string, object?>("v", "b")),
                new Measurement<double>(double.NaN, new KeyValuePair<string, object?>("v", "c")),
                new Measurement<double>(0.1, new KeyValuePair<string, object?>("v", "d")),
            },
            description: "Special values.");

        var text = await test.ScrapeAsync();

        Assert.Equal(
            PrometheusTestMeter.TargetInfo +
            "# HELP liaa_special Special values.\n" +
            "# TYPE liaa_special gauge\n" +
            "liaa_special{otel_scope_name=\"Test.Special\",v=\"a\"} +Inf\n" +
            "liaa_special{otel_scope_name=\"Test.Special\",v=\"b\"} -Inf\n" +
            "liaa_special{otel_scope_name=\"Test.Special\",v=\"c\"} NaN\n" +
            "liaa_special{otel_scope_name=\"Test.Special\",v=\"d\"} 0.1\n",
            text);
    }

    [Fact]
    public async Task Scrape_ServesCachedText_UntilCacheDurationHasPassed()
    {
        var time = new ManualTimeProvider();
        using var test = new PrometheusTestMeter("Test.Cache", time, TimeSpan.FromSeconds(1));
        var counter = test.Meter.CreateCounter<long>("liaa.cached", description: "Cached.");
        counter.Add(1);
        var first = await test.ScrapeAsync();

        counter.Add(1);
        time.Advance(TimeSpan.FromMilliseconds(999));
        var cached = await test.ScrapeAsync();
        time.Advance(TimeSpan.FromMilliseconds(1));
        var fresh = await test.ScrapeAsync();

        Assert.Contains("liaa_cached_total{otel_scope_name=\"Test.Cache\"} 1\n", first, StringComparison.Ordinal);
        Assert.Equal(first, cached);
        Assert.Contains("liaa_cached_total{otel_scope_name=\"Test.Cache\"} 2\n", fresh, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_ReturnsTheSameCompleteText_ForConcurrentScrapes()
    {
        using var test = new PrometheusTestMeter("Test.Concurrent");
        test.Meter.CreateCounter<long>("liaa.concurrent", description: "Concurrent.").Add(7);

        var scrapes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(test.ScrapeAsync)));

        Assert.All(scrapes, text => Assert.EndsWith("liaa_concurrent_total{otel_scope_name=\"Test.Concurrent\"} 7\n", text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scrape_ReturnsNull_AfterTheMeterProviderIsDisposed()
    {
        var test = new PrometheusTestMeter("Test.Disposed");
        test.Dispose();

        var body = await test.Exporter.ScrapeAsync(TestContext.Current.CancellationToken);

        Assert.Null(body);
    }
}

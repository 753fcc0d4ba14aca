using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Liaa.Tests.ServiceDefaults;

public sealed class ServiceDefaultsTests
{
    private static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Health_AnswersHealthyInPlainText_WhenEveryCheckPasses()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        using var health = await http.GetAsync("/health", TestContext.Current.CancellationToken);
        using var alive = await http.GetAsync("/alive", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("text/plain", health.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("Healthy", await alive.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Health_Answers503UnhealthyWithTheReason_WhileAliveStaysHealthy_WhenReadinessFails()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        app.IsReady = false;

        using var health = await http.GetAsync("/health", TestContext.Current.CancellationToken);
        using var alive = await http.GetAsync("/alive", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(
            $"Unhealthy\n{ServiceDefaultsTestApp.ReadyCheckName}: Unhealthy: {ServiceDefaultsTestApp.NotReadyReason}",
            await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("Healthy", await alive.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Metrics_ServesPrometheusText_WithLiaaAspNetCoreKestrelAndRuntimeMeters()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "metrics-test",
                ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=00ff",
            },
            cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        (await http.GetAsync("/v1/values/a", TestContext.Current.CancellationToken)).Dispose();
        await app.WaitForServerSpanAsync("/v1/values/a", SignalTimeout);

        using var response = await http.GetAsync("/metrics", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var targetInfo = text.Split('\n').Single(line => line.StartsWith("target_info{", StringComparison.Ordinal));
        Assert.Contains("service_name=\"metrics-test\"", targetInfo, StringComparison.Ordinal);
        Assert.Contains("service_instance_id=\"00ff\"", targetInfo, StringComparison.Ordinal);
        Assert.Contains("telemetry_sdk_name=\"opentelemetry\"", targetInfo, StringComparison.Ordinal);
        Assert.Contains("liaa_test_requests_total{otel_scope_name=\"Liaa.Node\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/v1/values/{key}\"", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE kestrel_active_connections gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_heap_total_allocated_bytes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_process_cpu_time_seconds_total counter\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerSpan_IsNamedAfterTheRoute_WithHttpAttributes()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        (await http.GetAsync("/v1/values/abc", TestContext.Current.CancellationToken)).Dispose();
        var span = await app.WaitForServerSpanAsync("/v1/values/abc", SignalTimeout);

        Assert.Equal("GET /v1/values/{key}", span.DisplayName);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal("Microsoft.AspNetCore", span.Source.Name);
        Assert.Equal("/v1/values/{key}", span.GetTagItem("http.route"));
        Assert.Equal("GET", span.GetTagItem("http.request.method"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Equal("http", span.GetTagItem("url.scheme"));
        Assert.Equal("127.0.0.1", span.GetTagItem("server.address"));
        Assert.Equal(app.BaseAddress.Port, span.GetTagItem("server.port"));
        Assert.Equal("1.1", span.GetTagItem("network.protocol.version"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Fact]
    public async Task ServerSpan_RecordsErrorStatusAndType_WhenTheEndpointThrows()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        using var response = await http.GetAsync("/fail", TestContext.Current.CancellationToken);
        var span = await app.WaitForServerSpanAsync("/fail", SignalTimeout);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("GET /fail", span.DisplayName);
        Assert.Equal(500, span.GetTagItem("http.response.status_code"));
        Assert.Equal(typeof(InvalidOperationException).FullName, span.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
    }

    [Fact]
    public async Task ScrapesAndProbes_AreNotTraced_WhileOtherRequestsAre()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        foreach (var path in new[] { "/metrics", "/health", "/alive", "/v1/values/marker" })
        {
            (await http.GetAsync(path, TestContext.Current.CancellationToken)).Dispose();
        }

        await app.WaitForServerSpanAsync("/v1/values/marker", SignalTimeout);
        var serverSpans = app.Spans.Snapshot()
            .Where(s => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int port && port == app.BaseAddress.Port)
            .Select(s => s.DisplayName)
            .ToList();

        Assert.Equal(["GET /v1/values/{key}"], serverSpans);
    }

    [Fact]
    public async Task Metrics_ReportOnlyThisHostsMeters_WhenHostsShareTheProcess()
    {
        await using var first = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var second = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var firstClient = new HttpClient { BaseAddress = first.BaseAddress };
        using var secondClient = new HttpClient { BaseAddress = second.BaseAddress };
        (await firstClient.GetAsync("/v1/values/a", TestContext.Current.CancellationToken)).Dispose();
        foreach (var key in new[] { "b", "c" })
        {
            (await secondClient.GetAsync("/v1/values/" + key, TestContext.Current.CancellationToken)).Dispose();
        }

        var firstMetrics = await firstClient.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var secondMetrics = await secondClient.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        // Both hosts create a "Liaa.Node" meter from their own IMeterFactory; listeners match by name.
        Assert.Equal(["liaa_test_requests_total{otel_scope_name=\"Liaa.Node\"} 1"], SeriesOf(firstMetrics, "liaa_test_requests_total"));
        Assert.Equal(["liaa_test_requests_total{otel_scope_name=\"Liaa.Node\"} 2"], SeriesOf(secondMetrics, "liaa_test_requests_total"));

        // Kestrel's meter comes from each host's IMeterFactory too. HttpClient's meter is process-wide:
        // the test's requests to the second host show in both (that is the client side, and correct).
        var firstKestrel = string.Join('\n', firstMetrics.Split('\n').Where(line => line.StartsWith("kestrel_", StringComparison.Ordinal)));
        Assert.Contains($"server_port=\"{first.BaseAddress.Port}\"", firstKestrel, StringComparison.Ordinal);
        Assert.DoesNotContain($"server_port=\"{second.BaseAddress.Port}\"", firstKestrel, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_KeepAtMostTheSeriesLimitPerInstrument_AndCountTheRestInTheOverflowSeries()
    {
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var counter = app.App.Services.GetRequiredService<IMeterFactory>()
            .Create("Liaa.Node")
            .CreateCounter<long>("liaa.test.series", "{item}", "One series per tag value.");
        var values = LiaaServiceDefaultsExtensions.MetricSeriesLimit + 100;
        for (var i = 0; i < values; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("item", i));
        }

        var series = SeriesOf(await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken), "liaa_test_series_total");

        // Up to the limit's tag sets (OpenTelemetry 1.21 keeps exactly that many here) plus the overflow series;
        // without the limit, all 300 would be series.
        var limit = LiaaServiceDefaultsExtensions.MetricSeriesLimit;
        Assert.InRange(series.Length, limit - 2, limit + 1);
        var overflow = Assert.Single(series, line => line.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal));
        Assert.Equal(values, series.Sum(ValueOf));
        Assert.True(ValueOf(overflow) >= values - limit, overflow);
    }

    private static long ValueOf(string line) => long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);

    private static string[] SeriesOf(string text, string family) =>
        [.. text.Split('\n').Where(line => line.StartsWith(family + "{", StringComparison.Ordinal))];
}

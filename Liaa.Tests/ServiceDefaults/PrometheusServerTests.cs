using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Liaa.Tests.ServiceDefaults;

[Trait("Category", "Integration")]
public sealed class PrometheusServerTests
{
    private const string Prometheus = "/usr/bin/prometheus";
    private static readonly TimeSpan ScrapeDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Prometheus_ScrapesServiceDefaultsEndpoint_AndAnswersPromQL()
    {
        ToolProcess.SkipUnlessInstalled(Prometheus);
        await using var app = await ServiceDefaultsTestApp.StartAsync(
            new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "scraped-node" },
            cancellationToken: TestContext.Current.CancellationToken);
        using var appClient = new HttpClient { BaseAddress = app.BaseAddress };
        (await appClient.GetAsync("/v1/values/a", TestContext.Current.CancellationToken)).Dispose();

        var directory = Directory.CreateTempSubdirectory("liaa-prometheus-");
        var port = FreeTcpPort();
        var config = Path.Combine(directory.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(
            config,
            $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: liaa
                static_configs:
                  - targets: ['127.0.0.1:{app.BaseAddress.Port}']
            """,
            TestContext.Current.CancellationToken);

        try
        {
            using var prometheus = ToolProcess.StartServer(Prometheus,
            [
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ]);
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

            var requests = await QueryUntilPresentAsync(api, prometheus, "liaa_test_requests_total{job=\"liaa\"}");
            var up = await QueryUntilPresentAsync(api, prometheus, "up{job=\"liaa\"}");
            var durations = await QueryUntilPresentAsync(
                api, prometheus, "http_server_request_duration_seconds_count{http_route=\"/v1/values/{key}\"}");
            var targetInfo = await QueryUntilPresentAsync(api, prometheus, "target_info{job=\"liaa\"}");

            Assert.Equal("1", Value(requests));
            Assert.Equal("Liaa.Node", requests.GetProperty("metric").GetProperty("otel_scope_name").GetString());
            Assert.Equal("1", Value(up));
            Assert.Equal("1", Value(durations));
            Assert.Equal("scraped-node", targetInfo.GetProperty("metric").GetProperty("service_name").GetString());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Asks Prometheus' HTTP API until the query returns one series, every 250 ms, for at most
    /// <see cref="ScrapeDeadline"/> (Prometheus has to start, scrape, and ingest first).
    /// </summary>
    private static async Task<JsonElement> QueryUntilPresentAsync(HttpClient api, ToolProcess prometheus, string query)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(ScrapeDeadline);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), TimeProvider.System);
        var uri = "/api/v1/query?query=" + Uri.EscapeDataString(query);
        string lastAnswer = "no answer";
        do
        {
            Assert.False(prometheus.HasExited, "prometheus exited early");
            try
            {
                using var response = await api.GetAsync(uri, deadline.Token);
                lastAnswer = await response.Content.ReadAsStringAsync(deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(lastAnswer);
                    var result = document.RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() == 1)
                    {
                        return result[0].Clone();
                    }
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }
        while (await WaitAsync(timer, deadline.Token));

        Assert.Fail($"Prometheus returned no series for {query} within {ScrapeDeadline.TotalSeconds} s; last answer: {lastAnswer}");
        return default;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string? Value(JsonElement series) => series.GetProperty("value")[1].GetString();

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

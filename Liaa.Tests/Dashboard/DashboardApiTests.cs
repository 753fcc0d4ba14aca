using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Liaa.AppHost.Hosting;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;
using static Liaa.Tests.Dashboard.DashboardTestData;

namespace Liaa.Tests.Dashboard;

/// <summary>
/// The dashboard's pages and JSON API served by the AppHost's web application (loopback, free port),
/// over a cluster that is never started and a store filled by the test.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DashboardApiTests : IAsyncLifetime
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private readonly LiaaCluster _cluster = new(new LiaaClusterOptions { Program = new NodeProgram("/bin/false", []), SeedPort = 0 });
    private readonly AppHostWebHost _web = new(new AppHostWebHostOptions { DashboardPort = 0, ContinueWithoutDashboardPort = false });
    private HttpClient _http = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _web.StartAsync(_cluster, Cancellation);
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = _web.DashboardUrl, Timeout = TimeSpan.FromSeconds(10) };
        _web.Store.Add([
            Span("r", null, "get", 0, 40, node: "node-1", traceId: TraceId),
            Span("c", "r", "kademlia/FIND_VALUE", 5, 10, node: "node-1", kind: ActivityKind.Client, traceId: TraceId),
            Span("s", "c", "kademlia/FIND_VALUE", 6, 2, node: "node-2", kind: ActivityKind.Server, traceId: TraceId),
            Span("m", null, "refresh", 100, 3, node: "node-2", traceId: "00000000000000000000000000000001"),
            Span("e", null, "put", 200, 900, node: "node-3", status: ActivityStatusCode.Error, traceId: "00000000000000000000000000000002"),
        ]);
        _web.Store.Add([
            new StoredLogRecord(Resource("node-1"), "Liaa.Node.Protocol", T0, 9, "Information", "Get found a value", null, new Dictionary<string, object?>(), TraceId, "r"),
            new StoredLogRecord(Resource("node-2"), "Liaa.Node.Rpc", T0.AddSeconds(1), 13, "Warning", "Peer timed out", null, new Dictionary<string, object?>(), null, null),
            new StoredLogRecord(Resource("node-1"), "Liaa.Node.Rpc", T0.AddSeconds(2), 17, "Error", "Peer sent garbage", null, new Dictionary<string, object?>(), null, null),
        ]);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _web.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task StartPage_IsServedFromTheAssembly_WithAnETagThatRevalidates()
    {
        using var page = await _http.GetAsync("/", Cancellation);
        var html = await page.Content.ReadAsStringAsync(Cancellation);
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/");
        revalidate.Headers.IfNoneMatch.Add(page.Headers.ETag!);
        using var again = await _http.SendAsync(revalidate, Cancellation);
        using var script = await _http.GetAsync("/js/app.js", Cancellation);

        Assert.Equal((HttpStatusCode.OK, "text/html"), (page.StatusCode, page.Content.Headers.ContentType?.MediaType));
        Assert.Contains("<script type=\"module\" src=\"/js/app.js\">", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal((HttpStatusCode.OK, "text/javascript"), (script.StatusCode, script.Content.Headers.ContentType?.MediaType));
        Assert.All(
            DashboardAssetsPaths(),
            path => Assert.True(Liaa.AppHost.Dashboard.DashboardAssets.All.ContainsKey(path), path));
    }

    [Fact]
    public async Task Traces_AreFilteredByNodeDurationOutcomeAndBackground()
    {
        async Task<string[]> NamesAsync(string query)
        {
            using var list = await GetJsonAsync("/api/traces" + query);
            return [.. list.RootElement.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("name").GetString()!)];
        }

        Assert.Equal(["put", "refresh", "get"], await NamesAsync(string.Empty));
        Assert.Equal(["put", "get"], await NamesAsync("?background=hide"));
        Assert.Equal(["refresh", "get"], await NamesAsync("?node=node-2"));
        Assert.Equal(["put"], await NamesAsync("?minMs=500"));
        Assert.Equal(["refresh", "get"], await NamesAsync("?outcome=ok"));
        Assert.Equal(["put"], await NamesAsync("?outcome=error"));
        Assert.Equal(["get"], await NamesAsync("?operation=kademlia/FIND_VALUE"));
    }

    [Fact]
    public async Task Trace_IsLaidOutAsAWaterfall_OrNotFound()
    {
        using var trace = await GetJsonAsync($"/api/traces/{TraceId}");
        using var missing = await _http.GetAsync("/api/traces/ffffffffffffffffffffffffffffffff", Cancellation);

        var spans = trace.RootElement.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(["get", "kademlia/FIND_VALUE", "kademlia/FIND_VALUE"], spans.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([0, 1, 2], spans.Select(s => s.GetProperty("depth").GetInt32()));
        Assert.Equal(["node-1", "node-2"], trace.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Logs_AreFilteredByLevelNodeAndText_NewestFirst_WithTheirTrace()
    {
        using var warnings = await GetJsonAsync("/api/logs?level=warning");
        using var found = await GetJsonAsync("/api/logs?node=node-1&text=FOUND");
        using var bad = await _http.GetAsync("/api/logs?level=loud", Cancellation);

        Assert.Equal(["Peer sent garbage", "Peer timed out"], warnings.RootElement.EnumerateArray().Select(l => l.GetProperty("message").GetString()));
        var entry = Assert.Single(found.RootElement.EnumerateArray());
        Assert.Equal((TraceId, "information"), (entry.GetProperty("traceId").GetString(), entry.GetProperty("level").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Changes_AreRefused_FromAnotherOrigin()
    {
        using var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/nodes/node-1/stop");
        foreign.Headers.Add("Origin", "http://example.com");
        using var refused = await _http.SendAsync(foreign, Cancellation);
        using var own = new HttpRequestMessage(HttpMethod.Post, "/api/nodes/node-1/stop");
        own.Headers.Add("Origin", _web.DashboardUrl!.GetLeftPart(UriPartial.Authority));
        using var allowed = await _http.SendAsync(own, Cancellation);
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/try/put") { Content = JsonContent.Create(new { key = "k", value = "v" }) };
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var refusedToo = await _http.SendAsync(crossSite, Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refusedToo.StatusCode);
    }

    [Fact]
    public async Task Overview_CountsNodesAndTelemetry()
    {
        using var overview = await GetJsonAsync("/api/overview");

        Assert.Equal(0, overview.RootElement.GetProperty("nodes").GetInt32());
        Assert.Equal(5, overview.RootElement.GetProperty("spans").GetInt32());
        Assert.Equal(3, overview.RootElement.GetProperty("logRecords").GetInt32());
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path, Cancellation);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancellation)}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
    }

    private static string[] DashboardAssetsPaths() =>
        ["/index.html", "/app.css", "/js/app.js", "/js/core.js", "/js/charts.js", "/js/views/resources.js", "/js/views/console.js", "/js/views/logs.js",
            "/js/views/traces.js", "/js/views/trace.js", "/js/views/metrics.js", "/js/views/dht.js", "/js/views/try.js"];
}

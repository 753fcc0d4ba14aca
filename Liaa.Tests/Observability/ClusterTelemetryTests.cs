using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Liaa.AppHost.Otlp;
using Liaa.Tests.ServiceDefaults;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Observability;

/// <summary>
/// What a person watching a live cluster sees: one lookup as one trace across the node processes it
/// touched (in the receiver the cluster runs), its logs tied to that trace, the DHT series in a real
/// Prometheus, and a <c>/metrics</c> that <c>promtool</c> accepts.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterTelemetryTests(ObservedCluster observed) : IClassFixture<ObservedCluster>
{
    private static readonly TimeSpan ArrivalBound = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_IsOneTraceAcrossNodes_WithEachServerSpanAChildOfTheCallersClientSpan()
    {
        var cluster = observed.Cluster;
        var store = observed.Store;
        var caller = cluster["node-3"];
        var others = cluster.Nodes.Where(n => n != caller).ToList();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var parentId = ActivitySpanId.CreateRandom().ToHexString();

        var status = await GetWithTraceParentAsync(caller.HttpEndpoint!, "never-stored", $"00-{traceId}-{parentId}-01");
        Assert.Equal(HttpStatusCode.NotFound, status);

        // Each node exports its batch within about a second; wait (bounded) until every RPC of the
        // lookup has its server span, then assert on whatever arrived so a failure shows what is missing.
        await WaitQuietlyAsync(store, s => IsComplete(s.GetTrace(traceId), caller.Name) && s.GetLogs(new LogQuery(TraceId: traceId)).Count > 0);
        var trace = store.GetTrace(traceId);

        var http = Assert.Single(trace, s => s.Kind == ActivityKind.Server && s.Service.ServiceName == caller.Name);
        Assert.Equal("GET /v1/values/{key}", http.Name);
        Assert.Equal(parentId, http.ParentSpanId);
        var lookup = Assert.Single(trace, s => s.Name == "lookup FIND_VALUE");
        // service.instance.id is what the orchestrator gives (the resource name); the node id is liaa.node.id.
        Assert.Equal(new ServiceKey(caller.Name, caller.Name), lookup.Service);
        Assert.Equal(caller.NodeId, lookup.Resource.Attributes["liaa.node.id"]);
        var clients = trace.Where(s => s.Kind == ActivityKind.Client && s.ParentSpanId == lookup.SpanId).ToList();
        Assert.All(clients, c => Assert.Equal(("kademlia/FIND_VALUE", lookup.Service), (c.Name, c.Service)));
        Assert.Equal(others.Select(n => n.UdpEndpoint!.Port).Order(), clients.Select(c => Convert.ToInt32(c.Attributes["server.port"], CultureInfo.InvariantCulture)).Order());

        var servers = trace.Where(s => s.Kind == ActivityKind.Server && s.Service.ServiceName != caller.Name).ToList();
        Assert.Equal(others.Count, servers.Count);
        foreach (var server in servers)
        {
            var client = Assert.Single(clients, c => c.SpanId == server.ParentSpanId);
            var node = Assert.Single(others, n => n.UdpEndpoint!.Port == Convert.ToInt32(client.Attributes["server.port"], CultureInfo.InvariantCulture));
            Assert.Equal(new ServiceKey(node.Name, node.Name), server.Service);
            Assert.Equal(node.NodeId, server.Resource.Attributes["liaa.node.id"]);
            Assert.Equal("kademlia/FIND_VALUE", server.Name);
            Assert.Equal("kademlia", server.Attributes["rpc.system"]);
            Assert.Equal(caller.NodeId, server.Attributes["liaa.peer.id"]);
        }

        Assert.Equal(others.Select(n => n.Name).Order(), servers.Select(s => s.Service.ServiceName).Order());
        Assert.Single(store.ListTraces(new TraceQuery(SpanName: "lookup FIND_VALUE", ServiceName: caller.Name)), t => t.TraceId == traceId);

        // The node's own log line for the get carries the trace and the id of a span in it.
        var log = Assert.Single(store.GetLogs(new LogQuery(TraceId: traceId, TextContains: "Get ")));
        Assert.Equal(lookup.Service, log.Service);
        Assert.Contains(trace, s => s.SpanId == log.SpanId);
        Assert.Matches(@"^Get [0-9a-f]{40}: not found after [1-9] rounds, 4 nodes contacted$", log.Body);
    }

    [Fact]
    public async Task Prometheus_ScrapesEveryNode_AndPromQLReturnsTheDhtSeries()
    {
        Assert.SkipWhen(observed.PrometheusUrl is null, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        var cluster = observed.Cluster;
        await NodeHttp.PutAsync(cluster.Seed.HttpEndpoint!, "scraped", "by prometheus", Cancellation);
        var names = cluster.Nodes.Select(n => n.Name).Order().ToList();
        using var api = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = observed.PrometheusUrl };

        // Every node knows the four others; the put reached all five (k = 20).
        var contacts = await QueryUntilAsync(api, "liaa_routing_contacts", r => r.Count == names.Count && r.Values.All(v => v == 4));
        var keys = await QueryUntilAsync(api, "sum by (node) (liaa_storage_keys)", r => r.Count == names.Count && r.Values.All(v => v >= 1));
        var fill = await QueryUntilAsync(api, "sum by (node) (liaa_routing_bucket_fill)", r => r.Count == names.Count);
        var clientRpcs = await QueryUntilAsync(api, "sum by (node) (liaa_rpc_client_duration_seconds_count)", r => r.Count == names.Count);
        var served = await QueryUntilAsync(api, "sum by (node) (liaa_rpc_server_requests_total)", r => r.Count == names.Count);
        var lookups = await QueryUntilAsync(api, "sum by (node) (liaa_lookup_duration_seconds_count)", r => r.Count == names.Count);

        Assert.Equal(names, contacts.Keys.Order());
        Assert.All(contacts.Values, v => Assert.Equal(4, v));
        Assert.Equal(names, keys.Keys.Order());
        Assert.All(keys.Values, v => Assert.True(v >= 1, $"stored keys {v}"));
        Assert.All(fill.Values, v => Assert.Equal(4.0 / 20, v, 9));
        Assert.All(clientRpcs.Values, v => Assert.True(v >= 4, $"client RPCs {v}"));
        Assert.All(served.Values, v => Assert.True(v >= 4, $"served RPCs {v}"));
        Assert.All(lookups.Values, v => Assert.True(v >= 2, $"lookups {v}"));
        Assert.Equal(names, new[] { fill, clientRpcs, served, lookups }.SelectMany(r => r.Keys).Distinct().Order());
    }

    [Fact]
    public async Task Promtool_FindsNoErrorInALiveNodesMetrics()
    {
        const string Promtool = "/usr/bin/promtool";
        ToolProcess.SkipUnlessInstalled(Promtool);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var text = await http.GetStringAsync(new Uri(observed.Cluster["node-1"].HttpEndpoint!, "/metrics"), Cancellation);
        Assert.Contains("\nliaa_routing_bucket_fill{", text, StringComparison.Ordinal);
        Assert.Contains("\nliaa_rpc_client_duration_seconds_bucket{", text, StringComparison.Ordinal);

        var (exitCode, _, problems) = await ToolProcess.RunAsync(Promtool, ["check", "metrics"], text, TimeSpan.FromSeconds(30));

        // As for any ServiceDefaults host: only the lint about System.Runtime's "*.count" up-down
        // counters (exit code 3); a parse error (exit code 1) or any other lint fails.
        Assert.Equal(PromtoolTests.RuntimeCountLints, problems.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Equal(3, exitCode);
    }

    /// <summary>The lookup span from <paramref name="caller"/> is there, and every one of its RPCs has a server span.</summary>
    internal static bool IsComplete(IReadOnlyList<StoredSpan> trace, string caller)
    {
        var lookup = trace.FirstOrDefault(s => s.Name.StartsWith("lookup ", StringComparison.Ordinal) && s.Service.ServiceName == caller);
        if (lookup is null)
        {
            return false;
        }

        var clients = trace.Where(s => s.Kind == ActivityKind.Client && s.ParentSpanId == lookup.SpanId).Select(s => s.SpanId).ToHashSet();
        return clients.Count > 0 && clients.All(id => trace.Any(s => s.Kind == ActivityKind.Server && s.ParentSpanId == id));
    }

    /// <summary>Waits for <paramref name="condition"/> for at most <see cref="ArrivalBound"/>, without failing: the asserts that follow say what is missing.</summary>
    internal static async Task WaitQuietlyAsync(TelemetryStore store, Func<TelemetryStore, bool> condition)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        bound.CancelAfter(ArrivalBound);
        try
        {
            await store.WaitUntilAsync(condition, bound.Token);
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// <c>GET /v1/values/{key}</c> continuing the given W3C trace, so the test knows the trace id. The
    /// client does not propagate an activity of its own (that would replace the header).
    /// </summary>
    private static async Task<HttpStatusCode> GetWithTraceParentAsync(Uri node, string key, string traceParent)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ActivityHeadersPropagator = null });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node, $"/v1/values/{Uri.EscapeDataString(key)}"));
        request.Headers.Add("traceparent", traceParent);
        using var response = await client.SendAsync(request, Cancellation);
        return response.StatusCode;
    }

    /// <summary>
    /// Runs an instant PromQL query every 250 ms until <paramref name="done"/> holds for its result
    /// (series by their <c>node</c> label), for at most <see cref="ArrivalBound"/>; returns the last result.
    /// </summary>
    private static async Task<Dictionary<string, double>> QueryUntilAsync(HttpClient api, string query, Func<Dictionary<string, double>, bool> done)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        bound.CancelAfter(ArrivalBound);
        var result = new Dictionary<string, double>();
        try
        {
            while (true)
            {
                using var response = await api.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(query), bound.Token);
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(bound.Token));
                    result = document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().ToDictionary(
                        s => s.GetProperty("metric").GetProperty("node").GetString()!,
                        s => double.Parse(s.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));
                    if (done(result))
                    {
                        return result;
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, bound.Token);
            }
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
            return result;
        }
    }
}

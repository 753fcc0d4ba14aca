using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Liaa.Tests.ServiceDefaults;
using Liaa.Tests.TestSupport;
using Liaa.Tests.TestSupport.Otlp;

namespace Liaa.Tests.Observability;

/// <summary>
/// What a person watching a live cluster sees: one lookup as one trace across the node processes it
/// touched (read back from the Aspire dashboard's telemetry API), its logs tied to that trace, the DHT
/// series in the AppHost's Prometheus, and a <c>/metrics</c> that <c>promtool</c> accepts.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(AspireClusterCollection.Name)]
public sealed class ClusterTelemetryTests(AspireCluster cluster)
{
    private static readonly TimeSpan ArrivalBound = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_IsOneTraceAcrossNodes_WithEachServerSpanAChildOfTheCallersClientSpan()
    {
        const string Caller = "node-3";
        var udpPorts = cluster.NodeNames.ToDictionary(n => n, n => cluster.UdpBase + int.Parse(n["node-".Length..], CultureInfo.InvariantCulture));
        var others = cluster.NodeNames.Where(n => n != Caller).ToList();
        var nodeIds = new Dictionary<string, string?>();
        foreach (var name in cluster.NodeNames)
        {
            nodeIds[name] = (await NodeHttp.GetJsonAsync(cluster.Http(name), "/v1/node", Cancellation)).GetProperty("id").GetString();
        }

        var callerId = nodeIds[Caller];
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var parentId = ActivitySpanId.CreateRandom().ToHexString();

        var status = await GetWithTraceParentAsync(cluster.Http(Caller), "never-stored", $"00-{traceId}-{parentId}-01");
        Assert.Equal(HttpStatusCode.NotFound, status);

        // Each node exports its batch within about a second; wait (bounded) until every RPC of the
        // lookup has its server span, then assert on whatever arrived so a failure shows what is missing.
        IReadOnlyList<StoredSpan> trace = [];
        IReadOnlyList<StoredLogRecord> logs = [];
        await WaitQuietlyAsync(async () =>
        {
            trace = await cluster.TraceAsync(traceId, Cancellation);
            logs = await cluster.TraceLogsAsync(traceId, Cancellation);
            return IsComplete(trace, Caller) && trace.Count(s => s.Kind == ActivityKind.Server) == cluster.NodeCount && logs.Count > 0;
        });

        var http = Assert.Single(trace, s => s.Kind == ActivityKind.Server && s.Service.ServiceName == Caller);
        Assert.Equal("GET /v1/values/{key}", http.Name);
        Assert.Equal(parentId, http.ParentSpanId);
        var lookup = Assert.Single(trace, s => s.Name == "lookup FIND_VALUE");
        Assert.Equal(Caller, lookup.Service.ServiceName);
        // service.instance.id is what Aspire gives; the Kademlia node id travels as liaa.node.id.
        Assert.Equal(callerId, lookup.Resource.Attributes["liaa.node.id"]);
        var clients = trace.Where(s => s.Kind == ActivityKind.Client && s.ParentSpanId == lookup.SpanId).ToList();
        Assert.All(clients, c => Assert.Equal(("kademlia/FIND_VALUE", Caller), (c.Name, c.Service.ServiceName)));
        Assert.Equal(others.Select(n => udpPorts[n]).Order(), clients.Select(c => Convert.ToInt32(c.Attributes["server.port"], CultureInfo.InvariantCulture)).Order());

        var servers = trace.Where(s => s.Kind == ActivityKind.Server && s.Service.ServiceName != Caller).ToList();
        Assert.Equal(others.Count, servers.Count);
        foreach (var server in servers)
        {
            var client = Assert.Single(clients, c => c.SpanId == server.ParentSpanId);
            var node = Assert.Single(others, n => udpPorts[n] == Convert.ToInt32(client.Attributes["server.port"], CultureInfo.InvariantCulture));
            Assert.Equal(node, server.Service.ServiceName);
            Assert.Equal(nodeIds[node], server.Resource.Attributes["liaa.node.id"]);
            Assert.Equal("kademlia/FIND_VALUE", server.Name);
            Assert.Equal("kademlia", server.Attributes["rpc.system"]);
            Assert.Equal(callerId, server.Attributes["liaa.peer.id"]);
        }

        Assert.Equal(others.Order(), servers.Select(s => s.Service.ServiceName).Order());

        // The node's own log line for the get carries the trace and the id of a span in it.
        var log = Assert.Single(logs, l => l.Body?.StartsWith("Get ", StringComparison.Ordinal) == true);
        Assert.Equal(Caller, log.Service.ServiceName);
        Assert.Contains(trace, s => s.SpanId == log.SpanId);
        Assert.Matches($@"^Get [0-9a-f]{{40}}: not found after [1-9] rounds, {cluster.NodeCount - 1} nodes contacted$", log.Body);
    }

    [Fact]
    public async Task Prometheus_ScrapesEveryNode_AndPromQLReturnsTheDhtSeries()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        await NodeHttp.PutAsync(cluster.Http("node-0"), "scraped", "by prometheus", Cancellation);
        var names = cluster.NodeNames.Order().ToList();
        var others = names.Count - 1;
        using var api = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = cluster.Http("prometheus") };

        // Every node knows every other; the put reached all of them (k = 20).
        var contacts = await QueryUntilAsync(api, "liaa_routing_contacts", r => r.Count == names.Count && r.Values.All(v => v == others));
        var keys = await QueryUntilAsync(api, "sum by (node) (liaa_storage_keys)", r => r.Count == names.Count && r.Values.All(v => v >= 1));
        var fill = await QueryUntilAsync(api, "sum by (node) (liaa_routing_bucket_fill)", r => r.Count == names.Count);
        var clientRpcs = await QueryUntilAsync(api, "sum by (node) (liaa_rpc_client_duration_seconds_count)", r => r.Count == names.Count);
        var served = await QueryUntilAsync(api, "sum by (node) (liaa_rpc_server_requests_total)", r => r.Count == names.Count);
        var lookups = await QueryUntilAsync(api, "sum by (node) (liaa_lookup_duration_seconds_count)", r => r.Count == names.Count);

        Assert.Equal(names, contacts.Keys.Order());
        Assert.All(contacts.Values, v => Assert.Equal(others, v));
        Assert.Equal(names, keys.Keys.Order());
        Assert.All(keys.Values, v => Assert.True(v >= 1, $"stored keys {v}"));
        Assert.All(fill.Values, v => Assert.Equal(others / 20.0, v, 9));
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
        var text = await http.GetStringAsync(new Uri(cluster.Http("node-1"), "/metrics"), Cancellation);
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

    /// <summary>Waits for <paramref name="condition"/> on a receiver's store for at most <see cref="ArrivalBound"/>, without failing.</summary>
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

    /// <summary>Polls <paramref name="condition"/> for at most <see cref="ArrivalBound"/>, without failing: the asserts that follow say what is missing.</summary>
    internal static async Task WaitQuietlyAsync(Func<Task<bool>> condition)
    {
        var deadline = TimeProvider.System.GetUtcNow() + ArrivalBound;
        while (!await condition() && TimeProvider.System.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300), TimeProvider.System, Cancellation);
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

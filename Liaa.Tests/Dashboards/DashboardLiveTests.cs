using System.Text.Json;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// The dashboards and alert rules against the AppHost's cluster, scraped by the AppHost's Prometheus
/// (the shipped alert rules, every node labelled by its resource name, scraped every second in tests):
/// what a user sees after a minute of puts and gets.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(AspireClusterCollection.Name)]
public sealed class DashboardLiveTests(AspireCluster cluster)
{
    /// <summary>How long the panels' series may take to appear once traffic flows (a few 1 s scrapes are enough).</summary>
    private static readonly TimeSpan SeriesDeadline = TimeSpan.FromSeconds(30);

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Grafana's variables as it would fill them: a real node, the provisioned datasource, 30 s rate windows.</summary>
    private static Dictionary<string, string> Variables(string node) => new(StringComparer.Ordinal)
    {
        ["datasource"] = DashboardFiles.ProvisionedDatasourceUid(),
        ["job"] = "liaa",
        ["node"] = node,
        ["__rate_interval"] = "30s",
        ["__interval"] = "2s",
        ["__interval_ms"] = "2000",
        ["__range"] = "1m",
        ["__range_s"] = "60",
        ["__range_ms"] = "60000",
    };

    [Fact]
    public async Task EveryPanelTarget_ReturnsASeries_AfterTraffic()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        var dashboards = DashboardFiles.LoadDashboards();
        using var prometheus = new PrometheusApi(cluster.Http("prometheus"));
        await using var traffic = ClusterTraffic.Start(cluster);
        var values = Variables("node-1");

        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        var empty = new List<string>();
        var queried = 0;
        foreach (var dashboard in dashboards)
        {
            foreach (var (panel, target) in dashboard.Targets)
            {
                var query = GrafanaVariables.Fill((string)target["expr"]!, values);
                var instant = (bool?)target["instant"] ?? false;
                var series = await prometheus.WaitForValueAsync(query, instant, deadline, Cancellation);
                queried++;
                if (!series.Any(PrometheusApi.HasFiniteValue))
                {
                    empty.Add($"{dashboard.FileName} '{panel["title"]}' {target["refId"]}: {series.Count} series, none with a value: {query}");
                }
            }
        }

        Assert.True(empty.Count == 0, $"{empty.Count} of {queried} panel targets returned no data ({traffic.Rounds} rounds of traffic, {traffic.Failures} failed):\n{string.Join("\n", empty)}");
        Assert.True(queried >= 60, $"only {queried} targets queried");
        Assert.True(traffic.Rounds > 0, "no round of traffic got through");
    }

    /// <summary>
    /// What a user's own Prometheus sees of a node: each node's <c>/metrics</c> scraped as its resource (<c>up</c> 1, its
    /// <c>target_info</c> naming the service after the resource), Liaa's own instruments under their meter's scope, and
    /// ASP.NET Core's request histogram by route. The AppHost's Prometheus is the only Prometheus the suite starts.
    /// </summary>
    [Fact]
    public async Task Prometheus_ScrapesEveryNodeAsItsResource_WithLiaaAndHttpServerMetrics()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        using var prometheus = new PrometheusApi(cluster.Http("prometheus"));
        using (await Http.GetAsync(new Uri(cluster.Http("node-1"), "/v1/values/scraped-by-prometheus"), Cancellation))
        {
            // Not found is an answer too: the request is what the histogram counts.
        }

        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        foreach (var node in cluster.NodeNames)
        {
            var up = await prometheus.WaitForValueAsync($"up{{job=\"liaa\",node=\"{node}\"}} == 1", instant: true, deadline, Cancellation);
            Assert.True(up.Count == 1, $"{node}: up is not 1 ({up.Count} series)");
            var info = await prometheus.WaitForValueAsync($"target_info{{job=\"liaa\",node=\"{node}\"}}", instant: true, deadline, Cancellation);
            Assert.Equal(node, Assert.Single(info).GetProperty("metric").GetProperty("service_name").GetString());
        }

        var contacts = await prometheus.WaitForValueAsync("liaa_routing_contacts{job=\"liaa\",node=\"node-1\"}", instant: true, deadline, Cancellation);
        Assert.Equal("Liaa.Node", Assert.Single(contacts).GetProperty("metric").GetProperty("otel_scope_name").GetString());
        var requests = await prometheus.WaitForValueAsync(
            "http_server_request_duration_seconds_count{job=\"liaa\",node=\"node-1\",http_route=\"/v1/values/{key}\"}", instant: true, deadline, Cancellation);
        Assert.True(requests.Any(PrometheusApi.HasFiniteValue), $"no request histogram for /v1/values/{{key}} on node-1 within {SeriesDeadline.TotalSeconds} s");
    }

    /// <summary>
    /// The dropped-datagram panels draw from the first scrapes, before anything was dropped (no traffic here): every
    /// node has a series at 0 for each drop reason, so the panels by reason show every reason and none is empty.
    /// </summary>
    [Fact]
    public async Task DroppedDatagramPanels_ShowEveryReason_WithoutWaitingForADrop()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        using var prometheus = new PrometheusApi(cluster.Http("prometheus"));
        var values = Variables("node-1");
        var reasons = Enum.GetValues<DropReason>().Where(r => r != DropReason.None).Select(RpcMetricsObserver.DropReasonName).ToList();
        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        var problems = new List<string>();
        var checkedTargets = 0;
        foreach (var dashboard in DashboardFiles.LoadDashboards())
        {
            foreach (var (panel, target) in dashboard.Targets.Where(t => ((string)t.Target["expr"]!).Contains("liaa_datagrams_dropped_total", StringComparison.Ordinal)))
            {
                var query = GrafanaVariables.Fill((string)target["expr"]!, values);
                var instant = (bool?)target["instant"] ?? false;
                var byReason = query.Contains("by (liaa_drop_reason)", StringComparison.Ordinal);
                IReadOnlyList<string> missing;
                IReadOnlyList<JsonElement> series;
                while (true)
                {
                    series = await prometheus.QueryAsync(query, instant, Cancellation);
                    var shown = series.Where(PrometheusApi.HasFiniteValue)
                        .Select(s => s.GetProperty("metric").TryGetProperty("liaa_drop_reason", out var reason) ? reason.GetString() : null)
                        .ToHashSet(StringComparer.Ordinal);
                    missing = byReason ? [.. reasons.Where(r => !shown.Contains(r))] : shown.Count == 0 ? ["any value"] : [];
                    if (missing.Count == 0 || TimeProvider.System.GetUtcNow() >= deadline)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, Cancellation);
                }

                checkedTargets++;
                if (missing.Count > 0)
                {
                    problems.Add($"{dashboard.FileName} '{panel["title"]}' {target["refId"]}: {series.Count} series, missing {string.Join(", ", missing)}: {query}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(checkedTargets >= 5, $"only {checkedTargets} dropped-datagram targets");
    }

    [Fact]
    public async Task Variables_ListEveryNode_AndEveryMetricUsedIsOnTheNodesMetricsEndpoint()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        var dashboards = DashboardFiles.LoadDashboards();
        using var prometheus = new PrometheusApi(cluster.Http("prometheus"));
        await using (var traffic = ClusterTraffic.Start(cluster))
        {
            // The counters this test looks for (drops, FIND_VALUE lookups, STOREs) exist once a few rounds went through.
            await WaitUntilAsync(() => traffic.Rounds >= 5, "5 rounds of traffic");
        }

        var exposed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in cluster.NodeNames)
        {
            exposed.UnionWith(SampleNames(await Http.GetStringAsync(new Uri(cluster.Http(node), "/metrics"), Cancellation)));
        }

        var used = dashboards.SelectMany(d => d.Targets.Select(t => (string)t.Target["expr"]!)).SelectMany(PromQlNames.MetricNames)
            .Concat(dashboards.SelectMany(d => d.QueryVariables).Select(GrafanaDashboard.VariableQuery).OfType<string>().SelectMany(PromQlNames.VariableMetricNames))
            .ToHashSet(StringComparer.Ordinal);
        // `up` is written by Prometheus for every scrape, not by the node.
        Assert.Empty(used.Where(name => name != "up" && !exposed.Contains(name)).Order(StringComparer.Ordinal));
        Assert.Contains("liaa_routing_bucket_fill", used);
        Assert.Contains("dotnet_process_cpu_time_seconds_total", used);

        var values = Variables("node-1");
        var names = cluster.NodeNames.Order(StringComparer.Ordinal).ToList();
        foreach (var dashboard in dashboards)
        {
            foreach (var variable in dashboard.QueryVariables)
            {
                var (label, match) = LabelValuesQuery(GrafanaVariables.Fill(GrafanaDashboard.VariableQuery(variable)!, values));
                var expected = label == "node" ? names : ["liaa"];
                var listed = await WaitForLabelValuesAsync(prometheus, label, match, expected.Count);
                Assert.Equal(expected, listed.Order(StringComparer.Ordinal));
            }
        }
    }

    [Fact]
    public async Task ShippedAlertRules_StayQuietOnAHealthyCluster_AndLiaaNodeDownGoesPendingForAKilledNode()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        using var prometheus = new PrometheusApi(cluster.Http("prometheus"));

        var up = await prometheus.WaitForValueAsync($"sum(up{{job=\"liaa\"}}) == {cluster.NodeCount}", instant: true, TimeProvider.System.GetUtcNow() + SeriesDeadline, Cancellation);
        Assert.True(up.Count == 1, "Prometheus never scraped every node");
        var everyNodeUp = TimeProvider.System.GetUtcNow();
        var rules = await WaitForEvaluationAfterAsync(prometheus, everyNodeUp);
        Assert.Equal(
            ["LiaaLookupsFailing", "LiaaNodeDown", "LiaaRoutingTableNearlyEmpty", "LiaaRpcTimeoutRatioHigh", "LiaaStoreNearLimit"],
            rules.Select(r => r.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(rules, r => Assert.Equal("ok", r.GetProperty("health").GetString()));
        Assert.Empty(await ActiveAlertsAsync(prometheus));

        var crash = await cluster.CommandAsync("node-2", "liaa-crash", null, Cancellation);
        Assert.True(crash.Success, crash.Message);
        IReadOnlyList<JsonElement> alerts;
        try
        {
            alerts = await WaitForAlertsAsync(prometheus);
        }
        finally
        {
            var start = await cluster.App.ResourceCommands.ExecuteCommandAsync("node-2", Aspire.Hosting.ApplicationModel.KnownResourceCommands.StartCommand, Cancellation);
            Assert.True(start.Success, start.Message);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            bound.CancelAfter(SeriesDeadline * 2);
            await cluster.WaitHealthyAsync("node-2", bound.Token);
            await cluster.WarmUpAsync(bound.Token);
        }

        var alert = Assert.Single(alerts);
        Assert.Equal(
            ("LiaaNodeDown", "node-2", "critical", "pending"),
            (alert.GetProperty("labels").GetProperty("alertname").GetString(),
             alert.GetProperty("labels").GetProperty("node").GetString(),
             alert.GetProperty("labels").GetProperty("severity").GetString(),
             alert.GetProperty("state").GetString()));
    }

    /// <summary>The metric names of the samples in a Prometheus text exposition.</summary>
    private static IEnumerable<string> SampleNames(string exposition) =>
        exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line[..line.IndexOfAny(['{', ' '])]);

    private static (string Label, string Match) LabelValuesQuery(string query)
    {
        const string Prefix = "label_values(";
        Assert.StartsWith(Prefix, query, StringComparison.Ordinal);
        var comma = query.LastIndexOf(',');
        return (query[(comma + 1)..^1].Trim(), query[Prefix.Length..comma].Trim());
    }

    private static async Task<IReadOnlyList<string>> WaitForLabelValuesAsync(PrometheusApi api, string label, string match, int count)
    {
        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        while (true)
        {
            var values = await api.LabelValuesAsync(label, match, Cancellation);
            if (values.Count >= count || TimeProvider.System.GetUtcNow() >= deadline)
            {
                return values;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, Cancellation);
        }
    }

    /// <summary>The alerting rules once every one of them has been evaluated after <paramref name="after"/> (bounded).</summary>
    private static async Task<IReadOnlyList<JsonElement>> WaitForEvaluationAfterAsync(PrometheusApi api, DateTimeOffset after)
    {
        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        while (true)
        {
            var data = await api.GetDataAsync("api/v1/rules?type=alert", Cancellation);
            var rules = data.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
            var evaluated = rules.Count > 0 && rules.All(r => r.GetProperty("lastEvaluation").GetDateTimeOffset() > after);
            if (evaluated || TimeProvider.System.GetUtcNow() >= deadline)
            {
                Assert.True(evaluated, $"the rules were not all evaluated within {SeriesDeadline.TotalSeconds} s: {data}");
                return rules;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, Cancellation);
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> ActiveAlertsAsync(PrometheusApi api) =>
        (await api.GetDataAsync("api/v1/alerts", Cancellation)).GetProperty("alerts").EnumerateArray().ToList();

    private static async Task<IReadOnlyList<JsonElement>> WaitForAlertsAsync(PrometheusApi api)
    {
        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        while (true)
        {
            var alerts = await ActiveAlertsAsync(api);
            if (alerts.Count > 0 || TimeProvider.System.GetUtcNow() >= deadline)
            {
                return alerts;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, Cancellation);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = TimeProvider.System.GetUtcNow() + SeriesDeadline;
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"no {what} within {SeriesDeadline.TotalSeconds} s");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, Cancellation);
        }
    }
}

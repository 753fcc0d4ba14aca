using System.Net.Sockets;
using System.Text.Json;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Orchestration.Prometheus;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>A real Prometheus started by the cluster, scraping stand-in nodes found through the generated file_sd file.</summary>
[Trait("Category", "Cluster")]
public sealed class PrometheusTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static HashSet<(string Node, string Target)> Targets(string path) =>
        JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
            .Select(g => (g.GetProperty("labels").GetProperty("node").GetString()!, g.GetProperty("targets")[0].GetString()!))
            .ToHashSet();

    private static (string Node, string Target) Target(ClusterNode node) => (node.Name, node.HttpEndpoint!.Authority);

    [Fact]
    public async Task TargetsFile_FollowsStopsRestartsAndScaling_AndPrometheusScrapesEveryNode()
    {
        var prometheus = PrometheusOptions.FindExecutable();
        Assert.SkipWhen(prometheus is null, "prometheus is not installed (apt-get install prometheus)");
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var options = TestClusters.Options(3, StandInNode.Program);
        options.Prometheus = new PrometheusOptions { ListenAddress = $"127.0.0.1:{port}", ScrapeInterval = TimeSpan.FromSeconds(1) };

        int[] prometheusPids;
        await using (var cluster = await TestClusters.StartAsync(options, Cancellation))
        {
            Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), cluster.PrometheusUrl);
            var path = cluster.PrometheusTargetsPath!;
            prometheusPids = [cluster.PrometheusProcessId!.Value, .. ProcessTable.ChildrenOf(cluster.PrometheusProcessId.Value)];
            Assert.Equal(cluster.Nodes.Select(Target).ToHashSet(), Targets(path));

            await cluster.StopNodeAsync("node-1", Cancellation);
            Assert.Equal([Target(cluster["node-0"]), Target(cluster["node-2"])], Targets(path));

            await cluster.StartNodeAsync("node-1", Cancellation);
            var added = await cluster.AddNodeAsync(Cancellation);
            Assert.Equal(cluster.Nodes.Select(Target).ToHashSet(), Targets(path));
            Assert.Contains(Target(added), Targets(path));

            var scraped = await WaitForHealthyTargetsAsync(cluster.PrometheusUrl!, 4);
            Assert.Equal(["node-0", "node-1", "node-2", "node-3"], scraped);
        }

        Assert.DoesNotContain(prometheusPids, ProcessTable.IsAlive);
    }

    /// <summary>Prometheus applies discovery changes every few seconds: ask until it scrapes <paramref name="count"/> nodes successfully (bounded).</summary>
    private static async Task<IReadOnlyList<string>> WaitForHealthyTargetsAsync(Uri prometheus, int count)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        IReadOnlyList<string> up = [];
        for (var attempt = 0; attempt < 100 && up.Count < count; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300), TimeProvider.System, Cancellation);
            var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(prometheus, "api/v1/targets?state=active"), Cancellation)).RootElement;
            up = json.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Where(t => t.GetProperty("health").GetString() == "up")
                .Select(t => t.GetProperty("labels").GetProperty("node").GetString()!)
                .Order()
                .ToList();
        }

        return up;
    }
}

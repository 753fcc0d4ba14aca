using System.Net;
using Liaa.AppHost.Orchestration;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>
/// Live clusters of real <c>Liaa.Node</c> processes started by the AppHost's orchestration, on a free
/// seed port so they run next to a user's cluster on 8468.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(LiveClusterCollection.Name)]
public sealed class LiveClusterTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiveNodes_BecomeHealthy_AndAValuePutThroughTheSeedIsReadThroughEveryNode()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(5), Cancellation);

        Assert.All(cluster.Nodes, n => Assert.Equal(NodeState.Healthy, n.State));
        Assert.Equal(5, cluster.Nodes.Select(n => n.ProcessId).Distinct().Count());
        foreach (var node in cluster.Nodes)
        {
            var info = await NodeHttp.GetJsonAsync(node.HttpEndpoint!, "/v1/node", Cancellation);
            Assert.Equal(node.NodeId, info.GetProperty("id").GetString());
        }

        await NodeHttp.PutAsync(cluster.Seed.HttpEndpoint!, "greeting", "hello from the seed", Cancellation);

        foreach (var node in cluster.Nodes)
        {
            Assert.Equal((HttpStatusCode.OK, "hello from the seed"), await NodeHttp.GetAsync(node.HttpEndpoint!, "greeting", Cancellation));
        }
    }

    [Fact]
    public async Task KilledNode_IsRestarted_AndRejoins()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(4), Cancellation);
        var before = cluster["node-2"].Snapshot;

        await cluster.KillNodeAsync("node-2", Cancellation);
        Assert.False(ProcessTable.IsAlive(before.ProcessId!.Value));
        Assert.Equal((NodeState.Stopped, 137), (cluster["node-2"].State, cluster["node-2"].ExitCode));
        var after = (await cluster.RestartNodeAsync("node-2", Cancellation)).Snapshot;

        Assert.Equal(NodeState.Healthy, after.State);
        Assert.NotEqual(before.ProcessId, after.ProcessId);
        Assert.Equal(before.UdpEndpoint, after.UdpEndpoint);
        Assert.Equal(1, after.RestartCount);
        Assert.True(await NodeHttp.RoutingTableSizeAsync(after.HttpEndpoint!, Cancellation) > 0);
        await NodeHttp.PutAsync(after.HttpEndpoint!, "after-restart", "still here", Cancellation);
        Assert.Equal((HttpStatusCode.OK, "still here"), await NodeHttp.GetAsync(cluster.Seed.HttpEndpoint!, "after-restart", Cancellation));
    }

    [Fact]
    public async Task ThirtyNodes_StartOnThisMachine()
    {
        var started = TimeProvider.System.GetTimestamp();
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(30), Cancellation);
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        TestContext.Current.TestOutputHelper?.WriteLine($"30 nodes healthy in {elapsed.TotalSeconds:0.0} s on {Environment.ProcessorCount} cores.");

        Assert.Equal(30, cluster.Nodes.Count(n => n.State == NodeState.Healthy));
        Assert.Equal(30, cluster.Nodes.Select(n => n.ProcessId).Distinct().Count());
        Assert.All(cluster.Nodes, n => Assert.True(ProcessTable.IsAlive(n.ProcessId!.Value)));
    }
}

using Liaa.AppHost.Orchestration;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

[Trait("Category", "Cluster")]
public sealed class ClusterCommandsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Commands_AddStopStartKillAndRemoveNodes_ByNameOrIndex()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(2, StandInNode.Program), Cancellation);
        var commands = new ClusterCommands(cluster);

        var added = await commands.ExecuteAsync("add 2", Cancellation);
        var stopped = await commands.ExecuteAsync("stop 1", Cancellation);
        var started = await commands.ExecuteAsync("start node-1", Cancellation);
        var killed = await commands.ExecuteAsync("kill 2", Cancellation);
        var removed = await commands.ExecuteAsync("remove node-3", Cancellation);

        Assert.Equal(["node-0", "node-1", "node-2"], cluster.Nodes.Select(n => n.Name));
        Assert.Equal(2, added.Split(Environment.NewLine).Length);
        Assert.StartsWith("node-2 Healthy pid=", added.Split(Environment.NewLine)[0], StringComparison.Ordinal);
        Assert.StartsWith("node-1 Stopped pid=", stopped, StringComparison.Ordinal);
        Assert.EndsWith("exit=0", stopped, StringComparison.Ordinal);
        Assert.StartsWith("node-1 Healthy pid=", started, StringComparison.Ordinal);
        Assert.EndsWith("exit=137", killed, StringComparison.Ordinal);
        Assert.Equal("node-3 removed.", removed);
        Assert.Equal(NodeState.Stopped, cluster["node-2"].State);
    }

    [Fact]
    public async Task StatusAndLogs_DescribeTheNodes()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(2, StandInNode.Program), Cancellation);
        var commands = new ClusterCommands(cluster);

        var status = await commands.ExecuteAsync("status", Cancellation);
        var logs = await commands.ExecuteAsync("logs 1 50", Cancellation);

        Assert.Equal([ClusterConsole.Describe(cluster["node-0"].Snapshot), ClusterConsole.Describe(cluster["node-1"].Snapshot)], status.Split(Environment.NewLine));
        Assert.Contains($"Liaa node {cluster["node-1"].NodeId} listening on udp", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadCommands_AreAnsweredNotThrown()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(1, StandInNode.Program), Cancellation);
        var commands = new ClusterCommands(cluster);

        Assert.StartsWith("Unknown command 'fly'.", await commands.ExecuteAsync("fly", Cancellation), StringComparison.Ordinal);
        Assert.Equal("There is no node named 'node-9'.", await commands.ExecuteAsync("stop 9", Cancellation));
        Assert.Equal("'restart' needs a node, e.g. restart node-1.", await commands.ExecuteAsync("restart", Cancellation));
        Assert.Equal("'0' is not a count from 1 to 100.", await commands.ExecuteAsync("add 0", Cancellation));
        Assert.Equal("The seed cannot be removed; stop it instead.", await commands.ExecuteAsync("remove 0", Cancellation));
        Assert.Equal(string.Empty, await commands.ExecuteAsync("   ", Cancellation));
        Assert.Equal(ClusterCommands.Help, await commands.ExecuteAsync("help", Cancellation));
    }
}

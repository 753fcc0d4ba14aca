using System.Collections.Concurrent;
using Liaa.AppHost.Orchestration;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>
/// The orchestration's process management (launch, crash detection, stop, kill, restart, scaling)
/// against the stand-in node, which starts in milliseconds; the real node's behaviour is covered by
/// the live cluster tests.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterSupervisionTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_StartsSeedThenNodesWiredToIt_AsSeparateProcesses()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(5, StandInNode.Program), Cancellation);

        var nodes = cluster.Nodes;
        Assert.Equal(["node-0", "node-1", "node-2", "node-3", "node-4"], nodes.Select(n => n.Name));
        Assert.All(nodes, n => Assert.Equal(NodeState.Healthy, n.State));
        Assert.True(nodes[0].IsSeed);
        Assert.All(nodes.Skip(1), n => Assert.False(n.IsSeed));
        Assert.Equal(5, nodes.Select(n => n.ProcessId).Distinct().Count());
        Assert.All(nodes, n => Assert.True(ProcessTable.IsAlive(n.ProcessId!.Value)));
        Assert.Equal(5, nodes.Select(n => n.UdpEndpoint!.Port).Distinct().Count());
        Assert.All(nodes, n => Assert.Equal(40, n.NodeId!.Length));

        var seed = cluster.SeedEndpoint!.ToString();
        Assert.DoesNotContain(nodes[0].ConsoleLog.Snapshot(), l => l.Text.Contains("--seed", StringComparison.Ordinal));
        Assert.All(nodes.Skip(1), n => Assert.Contains(n.ConsoleLog.Snapshot(), l => l.Stream == ConsoleStream.Error && l.Text.EndsWith($"seeds={seed}", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DisposeAsync_StopsEveryNodeProcess()
    {
        var cluster = await TestClusters.StartAsync(TestClusters.Options(3, StandInNode.Program), Cancellation);
        var pids = cluster.Nodes.Select(n => n.ProcessId!.Value).ToList();

        await cluster.DisposeAsync();

        Assert.DoesNotContain(pids, ProcessTable.IsAlive);
        Assert.All(cluster.Nodes, n => Assert.Equal(NodeState.Stopped, n.State));
        Assert.All(cluster.Nodes, n => Assert.Equal(0, n.ExitCode));
    }

    [Fact]
    public async Task Node_IsReportedCrashed_WithExitCodeAndOutput_WhenItsProcessDiesUnasked()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(2, StandInNode.Program), Cancellation);
        var changes = new ConcurrentQueue<NodeChangedEventArgs>();
        cluster.NodeChanged += (_, change) => changes.Enqueue(change);
        var node = cluster["node-1"];

        Assert.True(ProcessTable.IsAlive(node.ProcessId!.Value));
        System.Diagnostics.Process.GetProcessById(node.ProcessId.Value).Kill();
        var crashed = await node.WaitForAsync(s => s.State.IsFinished(), Cancellation);

        Assert.Equal(NodeState.Crashed, crashed.State);
        Assert.Equal(137, crashed.ExitCode);
        Assert.Equal("exited unexpectedly with code 137", crashed.LastError);
        Assert.Contains(changes, c => c.Node == node && c.Previous.State == NodeState.Healthy && c.Current.State == NodeState.Crashed);
        Assert.Contains(node.ConsoleLog.Snapshot(), l => l.Text.StartsWith("Liaa node ", StringComparison.Ordinal));
        Assert.Equal(NodeState.Healthy, cluster["node-0"].State);
    }

    [Fact]
    public async Task RestartNodeAsync_BringsKilledNodeBack_OnItsPortsWithANewProcess()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(3, StandInNode.Program), Cancellation);
        var before = cluster["node-2"].Snapshot;

        await cluster.KillNodeAsync("node-2", Cancellation);
        var killed = cluster["node-2"].Snapshot;
        var restarted = (await cluster.RestartNodeAsync("node-2", Cancellation)).Snapshot;

        Assert.Equal(NodeState.Stopped, killed.State);
        Assert.Equal(137, killed.ExitCode);
        Assert.False(ProcessTable.IsAlive(before.ProcessId!.Value));
        Assert.Equal(NodeState.Healthy, restarted.State);
        Assert.NotEqual(before.ProcessId, restarted.ProcessId);
        Assert.Equal(1, restarted.RestartCount);
        Assert.Equal(before.UdpEndpoint, restarted.UdpEndpoint);
        Assert.Equal(before.HttpEndpoint, restarted.HttpEndpoint);
        Assert.Null(restarted.ExitCode);
    }

    [Fact]
    public async Task StopNodeAsync_KillsAfterStopTimeout_WhenNodeIgnoresTheGracefulStop()
    {
        var options = TestClusters.Options(1, StandInNode.Program);
        options.StopTimeout = TimeSpan.FromMilliseconds(300);
        options.Environment["STANDIN_IGNORE_STOP"] = "1";
        await using var cluster = await TestClusters.StartAsync(options, Cancellation);
        var pid = cluster.Seed.ProcessId!.Value;

        await cluster.StopNodeAsync("node-0", Cancellation);

        Assert.Equal(NodeState.Stopped, cluster.Seed.State);
        Assert.Equal(137, cluster.Seed.ExitCode);
        Assert.False(ProcessTable.IsAlive(pid));
    }

    [Fact]
    public async Task StopNodeAsync_EndsGracefully_ThenStartNodeAsyncStartsItAgain()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(2, StandInNode.Program), Cancellation);

        await cluster.StopNodeAsync("node-1", Cancellation);
        var stopped = cluster["node-1"].Snapshot;
        await cluster.StartNodeAsync("node-1", Cancellation);

        Assert.Equal(NodeState.Stopped, stopped.State);
        Assert.Equal(0, stopped.ExitCode);
        Assert.Equal(NodeState.Healthy, cluster["node-1"].State);
        Assert.Equal(1, cluster["node-1"].RestartCount);
    }

    [Fact]
    public async Task AddAndRemoveNode_ChangeTheClusterWhileItRuns()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Options(2, StandInNode.Program), Cancellation);
        var added = new List<string>();
        var removed = new List<string>();
        cluster.NodeAdded += (_, n) => added.Add(n.Name);
        cluster.NodeRemoved += (_, n) => removed.Add(n.Name);

        var node = await cluster.AddNodeAsync(Cancellation);
        var pid = node.ProcessId!.Value;
        Assert.Equal("node-2", node.Name);
        Assert.Equal(NodeState.Healthy, node.State);

        await cluster.RemoveNodeAsync("node-1", Cancellation);

        Assert.Equal(["node-0", "node-2"], cluster.Nodes.Select(n => n.Name));
        Assert.Equal(["node-2"], added);
        Assert.Equal(["node-1"], removed);
        Assert.True(ProcessTable.IsAlive(pid));
        Assert.Equal("node-3", (await cluster.AddNodeAsync(Cancellation)).Name);
        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.RemoveNodeAsync("node-0", Cancellation));
    }

    [Fact]
    public async Task CrashedNode_IsRestarted_WhenRestartPolicyIsOnCrash()
    {
        var options = TestClusters.Options(2, StandInNode.Program);
        options.RestartPolicy = NodeRestartPolicy.OnCrash;
        options.RestartDelay = TimeSpan.FromMilliseconds(100);
        await using var cluster = await TestClusters.StartAsync(options, Cancellation);
        var node = cluster["node-1"];
        var pid = node.ProcessId!.Value;

        ProcessTable.KillAll([pid]);
        var back = await node.WaitForAsync(s => s.State == NodeState.Healthy && s.ProcessId != pid, Cancellation);

        Assert.Equal(1, back.RestartCount);
        Assert.Contains(node.ConsoleLog.Snapshot(), l => l.Text == $"Process {pid} exited with code 137 (unexpectedly).");
    }

    [Fact]
    public async Task HealthMonitor_MarksNodeUnhealthyAndHealthyAgain_AsHealthEndpointChanges()
    {
        var flag = Path.Combine(Path.GetTempPath(), $"liaa-unhealthy-{Guid.NewGuid():N}");
        var options = TestClusters.Options(1, StandInNode.Program);
        options.HealthCheckInterval = TimeSpan.FromMilliseconds(100);
        options.Environment["STANDIN_UNHEALTHY_FILE"] = flag;
        await using var cluster = await TestClusters.StartAsync(options, Cancellation);
        try
        {
            await File.WriteAllTextAsync(flag, "", Cancellation);
            var unhealthy = await cluster.Seed.WaitForAsync(s => s.State == NodeState.Unhealthy, Cancellation);
            File.Delete(flag);
            await cluster.WaitHealthyAsync(Cancellation);

            Assert.Equal("/health did not answer 200", unhealthy.LastError);
            Assert.Equal(NodeState.Healthy, cluster.Seed.State);
        }
        finally
        {
            File.Delete(flag);
        }
    }

    [Fact]
    public async Task StartAsync_FailsNamingTheNode_WhenANodeExitsBeforeItIsHealthy()
    {
        var options = TestClusters.Options(1, new NodeProgram("/bin/sh", ["-c", "echo bad configuration >&2; exit 7", "stand-in"]));

        var failure = await Assert.ThrowsAsync<NodeStartException>(() => LiaaCluster.StartAsync(options, Cancellation));

        Assert.Equal("node-0", failure.NodeName);
        Assert.Equal(7, failure.ExitCode);
        Assert.Contains("bad configuration", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_FailsFast_WhenTheNodeHasNoHealthEndpoint()
    {
        var options = TestClusters.Options(1, StandInNode.Program);
        options.Environment["STANDIN_NO_HEALTH"] = "1";
        var cluster = new LiaaCluster(options);
        await using (cluster)
        {
            var failure = await Assert.ThrowsAsync<NodeStartException>(() => cluster.StartAsync(Cancellation));

            Assert.Contains("answers 404 Not Found on http://127.0.0.1:", failure.Message, StringComparison.Ordinal);
            Assert.Equal(NodeState.Stopped, cluster.Seed.State);
            Assert.False(ProcessTable.IsAlive(cluster.Seed.ProcessId!.Value));
            Assert.Equal(failure.Message, cluster.Seed.LastError);
        }
    }

    [Fact]
    public async Task StartAsync_Fails_WhenTheFixedSeedPortIsTaken()
    {
        using var holder = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
        var options = TestClusters.Options(1, StandInNode.Program);
        options.SeedPort = ((System.Net.IPEndPoint)holder.Client.LocalEndPoint!).Port;

        var failure = await Assert.ThrowsAsync<NodeStartException>(() => LiaaCluster.StartAsync(options, Cancellation));

        Assert.Contains($"UDP port {options.SeedPort}, which is in use", failure.Message, StringComparison.Ordinal);
    }
}

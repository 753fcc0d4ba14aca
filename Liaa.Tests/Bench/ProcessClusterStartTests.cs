using System.Text.RegularExpressions;
using Liaa.Node.Bench;
using Liaa.Node.Simulation;
using Liaa.Tests.Rpc;

namespace Liaa.Tests.Bench;

/// <summary>
/// <see cref="ProcessCluster"/>'s start when a member does not start: the start ends there, with that member's error,
/// and no more members are started (each would otherwise be waited for up to 90 s).
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class ProcessClusterStartTests
{
    private const int Members = 12;

    [Fact]
    public async Task AMemberThatExitsBeforeItsStartLine_EndsTheStart_AndNoMoreMembersAreStarted()
    {
        var cluster = new ProcessCluster("test");
        var started = 0;
        (ChildProcess, PeersReached) Start(int index)
        {
            Interlocked.Increment(ref started);
            var process = index switch
            {
                0 => ChildProcess.Start("sh", ["-c", "echo 'test node 00 listening on udp 127.0.0.1:1'; exec sleep 600"]),
                1 => ChildProcess.Start("true", []),
                _ => ChildProcess.Start("sleep", ["600"]),
            };
            return (process, new PeersReached());
        }

        await Assert.ThrowsAsync<TimeoutException>(() => cluster.StartAsync(Members, new BenchProgress(null), Start, StartLine(), TestContext.Current.CancellationToken).Bounded());

        // The seed, then at most one gate's worth (4) beside the member that failed: none after it.
        Assert.InRange(started, 2, 5);
    }

    [GeneratedRegex(@"^test node (?<id>\S+) listening on udp (?<udp>\S+)$")]
    private static partial Regex StartLine();
}

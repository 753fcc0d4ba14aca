using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Tests.Rpc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Protocol;

/// <summary>
/// A node whose seed is not answering yet (a cluster started all at once: the seed's socket is not bound when the
/// first ping arrives) asks it again after 0.25 s, then 0.5 s, and joins as soon as it answers, not a whole RPC
/// timeout (5 s) later. Manual clock: the clock moves only where the test says.
/// </summary>
public sealed class JoinSeedPingTests
{
    private static readonly IPEndPoint SeedAddress = new(IPAddress.Parse("10.7.2.1"), 8468);
    private static readonly IPEndPoint NodeAddress = new(IPAddress.Parse("10.7.2.2"), 8468);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASeedThatIsNotAnsweringYet_IsAskedAgainAfterAQuarterSecond_AndTheJoinEndsOnceItAnswers()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(1));
        await using var node = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(NodeAddress), TimeProvider = time }, cancellationToken: Token);
        var startedAt = time.GetUtcNow();
        Task<JoinResult> join;
        await using (var silentSeed = network.Bind(SeedAddress))
        {
            join = node.BootstrapAsync([SeedAddress], Token);
            Assert.Equal(0x00, (await silentSeed.ReceiveBytesAsync().Bounded())[0]);

            time.Advance(JoinProcedure.FirstSeedPingTimeout);
            Assert.Equal(0x00, (await silentSeed.ReceiveBytesAsync().Bounded())[0]);
        }

        await using var seed = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SeedAddress), TimeProvider = time }, cancellationToken: Token);
        time.Advance(JoinProcedure.FirstSeedPingTimeout * 2);
        var joined = await join.Bounded();

        Assert.True(joined.IsJoined);
        Assert.Equal(TimeSpan.FromMilliseconds(750), time.GetUtcNow() - startedAt);
        Assert.Equal(1, joined.SeedsReached);
    }

    [Fact]
    public async Task AJoinCancelledAfterItsPingsTimedOut_WhileItWaitsToAskAgain_EndsUnjoined_WithoutThrowing()
    {
        // The RPC endpoint's clock apart from the join's: its ping times out while the join still waits for the next one.
        var rpcTime = new FakeTimeProvider();
        var joinTime = new FakeTimeProvider();
        var network = new InMemoryNetwork(rpcTime, new Random(2));
        var options = new LiaaNodeOptions { TimeProvider = joinTime };
        await using var rpc = new RpcEndpoint(network.Bind(NodeAddress), options.Rpc, rpcTime);
        using var metrics = new NodeMetrics();
        var runtime = new NodeRuntime(NodeId.FromKey("joiner"), options, new InMemoryValueStore(joinTime, options.Storage), rpc, metrics, NullLogger.Instance);
        rpc.Start(runtime.Handler);
        await using var silentSeed = network.Bind(SeedAddress);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var join = runtime.Join.JoinAsync([SeedAddress], [], cancel.Token);
        await silentSeed.ReceiveBytesAsync().Bounded();
        rpcTime.Advance(options.Rpc.Timeout);
        await cancel.CancelAsync();
        var joined = await join.Bounded();

        Assert.Equal(0, joined.SeedsReached);
        Assert.False(joined.IsJoined);
    }
}

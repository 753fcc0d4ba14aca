using System.Net;
using Liaa.Node;
using Liaa.Node.Protocol;
using Liaa.Node.Rpc;
using Liaa.Tests.Rpc;
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
}

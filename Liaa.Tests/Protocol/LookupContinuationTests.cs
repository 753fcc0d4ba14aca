using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Protocol;

/// <summary>
/// A lookup's driver goes on from the thread that ended each of its requests (the receive loop, for a response), to
/// save a thread-pool hop per response; the lookup's caller never does. A caller that blocks after its lookup must not
/// stop its node answering. In-memory network, manual clock that never moves: a request the node could not answer would
/// wait for good, so the blocked caller's bounded wait below would end false.
/// </summary>
public sealed class LookupContinuationTests
{
    private static readonly IPEndPoint SeedAddress = new(IPAddress.Parse("10.8.1.1"), 8468);
    private static readonly IPEndPoint FirstAddress = new(IPAddress.Parse("10.8.1.2"), 8468);
    private static readonly IPEndPoint SecondAddress = new(IPAddress.Parse("10.8.1.3"), 8468);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CallerThatBlocksAfterItsLookup_DoesNotStopTheNodeAnswering()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(3));
        await using var seed = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SeedAddress), TimeProvider = time }, cancellationToken: Token);
        await using var first = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(FirstAddress), TimeProvider = time }, cancellationToken: Token);
        await using var second = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SecondAddress), TimeProvider = time }, cancellationToken: Token);
        Assert.True((await first.BootstrapAsync([SeedAddress], Token)).IsJoined);
        Assert.True((await second.BootstrapAsync([SeedAddress, FirstAddress], Token)).IsJoined);

        // Which thread ends a lookup varies (the receive loop, or the pool when the driver was not waiting): several
        // rounds, so that a caller let go on the receive loop shows (it did in 4 of 6 single rounds, measured).
        for (var round = 0; round < 8; round++)
        {
            var answered = await LookUpThenBlockAsync(first, round);

            Assert.True(answered, $"round {round}: the node's next lookup did not end while the caller of its last one was blocked");
        }
    }

    // Blocks (synchronously) the thread the node's lookup returned on until the node's next lookup has ended: that one
    // needs the node's receive loop. ConfigureAwait(false): the thread is the one that completed the lookup.
    private static async Task<bool> LookUpThenBlockAsync(LiaaNode node, int round)
    {
        await node.FindClosestNodesAsync(NodeId.FromKey($"target {round}"), Token).ConfigureAwait(false);
        return node.FindClosestNodesAsync(NodeId.FromKey($"next target {round}"), Token).Wait(TimeSpan.FromSeconds(30), Token);
    }
}

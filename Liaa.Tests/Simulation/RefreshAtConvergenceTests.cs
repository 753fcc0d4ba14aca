using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;

namespace Liaa.Tests.Simulation;

/// <summary>
/// <see cref="KademliaOptions.RefreshEndsAtConvergence"/> (issue 15 item 5, <c>bench sim</c>'s default): a join's bucket
/// refreshes end at convergence, so joins send far fewer FIND_NODE requests, and the network they build still finds
/// the true k closest.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class RefreshAtConvergenceTests
{
    private static readonly byte[] FindNode = [0xa9, .. "find_node"u8];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JoinsWithRefreshesAtConvergence_SendFewerFindNodes_AndLookupsStillFindTheTrueKClosest()
    {
        var (fullRequests, _) = await BuildAsync(refreshEndsAtConvergence: false);
        var (convergeRequests, sim) = await BuildAsync(refreshEndsAtConvergence: true);
        await using (sim)
        {
            Assert.True(
                convergeRequests < 0.75 * fullRequests,
                $"joins sent {convergeRequests} FIND_NODE requests with refreshes at convergence, {fullRequests} with full refreshes");

            var share = await TrueClosest.ShareFoundAsync(sim, lookups: 40, seed: 13, Token);
            Assert.True(share >= 0.95, $"found {share:P1} of the true k closest");
            Assert.All(sim.Nodes, node => Assert.True(node.GetContacts().Count >= 20, $"{node.Id} knows {node.GetContacts().Count} contacts"));
        }
    }

    /// <summary>300 nodes joining 16 at a time through node 0; the FIND_NODE requests the joins sent.</summary>
    private static async Task<(long FindNodes, SimulatedNetwork Sim)> BuildAsync(bool refreshEndsAtConvergence)
    {
        var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions { NodeCount = 1, Seed = 21, ConfigureNode = options => options.Kademlia.RefreshEndsAtConvergence = refreshEndsAtConvergence },
            Token);
        long findNodes = 0;
        sim.Network.Tap = (_, _, datagram) =>
        {
            if (datagram.IndexOf(FindNode) >= 0)
            {
                Interlocked.Increment(ref findNodes);
            }
        };
        for (var joined = 1; joined < 300; joined += 16)
        {
            var joins = Enumerable.Range(0, Math.Min(16, 300 - joined)).Select(_ => sim.AddNodeAsync(join: true, cancellationToken: Token)).ToArray();
            await sim.RunAsync(Task.WhenAll(joins), Token);
        }

        sim.Network.Tap = null;
        if (!refreshEndsAtConvergence)
        {
            await sim.DisposeAsync();
        }

        return (Interlocked.Read(ref findNodes), sim);
    }
}

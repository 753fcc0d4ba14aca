using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Tests.Protocol;

/// <summary>
/// <see cref="Liaa.Node.Storage.StorageOptions.PutLookupReuse"/>: a node putting many keys stores a key that a recent put
/// lookup of a nearby key covers at the nearest nodes that lookup saw, without a lookup of its own. It sends fewer
/// FIND_NODEs per put, and the value still reaches the true k closest nodes. Simulated network, manual clock.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class PutLookupReuseTests
{
    private static readonly byte[] FindNodeMethod = [0xa9, .. "find_node"u8];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(80, 8, 120)]
    [InlineData(100, 20, 300)]
    public async Task ManyPutsFromOneNode_SendFewerFindNodes_AndStillReachTheTrueClosest(int nodes, int k, int puts)
    {
        var unreused = await PutManyAsync(nodes, k, puts, reuse: 0);
        var reused = await PutManyAsync(nodes, k, puts, reuse: 128);

        // Same network (same seed), same keys: only the reuse of recent lookups differs.
        Assert.True(
            reused.FindNodes <= 0.8 * unreused.FindNodes,
            $"FIND_NODE requests for {puts} puts: {reused.FindNodes} reused, {unreused.FindNodes} each with its lookup");
        Assert.True(
            reused.TrueClosestHolding >= unreused.TrueClosestHolding,
            $"true {k} closest holding the value: {reused.TrueClosestHolding} of {puts * k} reused, {unreused.TrueClosestHolding} each with its lookup");
        Assert.True(reused.TrueClosestHolding >= 0.95 * puts * k, $"{reused.TrueClosestHolding} of {puts * k} true closest hold their value");
    }

    private static async Task<(int FindNodes, int TrueClosestHolding)> PutManyAsync(int nodes, int k, int puts, int reuse)
    {
        await using var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions
            {
                NodeCount = nodes,
                Seed = 33,
                ConfigureNode = options =>
                {
                    options.Kademlia.K = k;
                    options.Storage.PutAcknowledgements = 0;
                    options.Storage.PutLookupReuse = reuse;
                },
            },
            Token);
        var putter = sim.Nodes[7];
        var findNodes = 0;
        sim.Network.Tap = (from, _, datagram) =>
        {
            if (from.Equals(putter.EndPoint) && datagram.IndexOf(FindNodeMethod) >= 0)
            {
                Interlocked.Increment(ref findNodes);
            }
        };

        var keys = Enumerable.Range(0, puts).Select(i => NodeId.FromKey($"reused-{i}")).ToArray();
        foreach (var key in keys)
        {
            var put = await sim.RunAsync(putter.PutAsync(key, DhtValue.FromString("v"), Token), Token);
            Assert.Equal(k, put.StoredAt);
        }

        sim.Network.Tap = null;
        var others = sim.Nodes.Where(n => n != putter).ToArray();
        var holding = 0;
        foreach (var key in keys)
        {
            holding += others.OrderBy(n => n.Id.DistanceTo(key)).Take(k).Count(n => n.GetStoredValue(key) is not null);
        }

        return (Volatile.Read(ref findNodes), holding);
    }
}

using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Tests.Protocol;

/// <summary>
/// <see cref="Liaa.Node.Storage.StorageOptions.PutLookupReuse"/>: a node putting many keys starts each put's lookup from
/// the nearest nodes of its recent put lookups as well as from its routing table. It sends fewer FIND_NODEs per put,
/// and the value still reaches the true k closest nodes. Simulated network, manual clock.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class PutLookupSeedTests
{
    private const int K = 8;
    private const int Puts = 120;

    private static readonly byte[] FindNodeMethod = [0xa9, .. "find_node"u8];

    private static readonly byte[] PingMethod = [0xa4, .. "ping"u8];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyPutsFromOneNode_SendFewerFindNodes_AndStillReachTheTrueClosest()
    {
        var unseeded = await PutManyAsync(seeds: 0);
        var seeded = await PutManyAsync(seeds: 64);

        // Same network (same seed), same keys: only the lookups' seeds differ.
        Assert.True(
            seeded.FindNodes <= 0.8 * unseeded.FindNodes,
            $"FIND_NODE requests for {Puts} puts: {seeded.FindNodes} seeded, {unseeded.FindNodes} without seeds");
        Assert.True(
            seeded.TrueClosestHolding >= unseeded.TrueClosestHolding,
            $"true {K} closest holding the value: {seeded.TrueClosestHolding} of {Puts * K} seeded, {unseeded.TrueClosestHolding} without seeds");
        Assert.True(seeded.TrueClosestHolding >= 0.95 * Puts * K, $"{seeded.TrueClosestHolding} of {Puts * K} true closest hold their value");
    }

    private static async Task<(int FindNodes, int TrueClosestHolding)> PutManyAsync(int seeds)
    {
        await using var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions
            {
                NodeCount = 80,
                Seed = 33,
                ConfigureNode = options =>
                {
                    options.Kademlia.K = K;
                    options.Storage.PutAcknowledgements = 0;
                    options.Storage.PutLookupReuse = seeds;
                },
            },
            Token);
        var putter = sim.Nodes[7];
        var findNodes = 0;
        var pings = 0;
        var all = 0;
        sim.Network.Tap = (from, _, datagram) =>
        {
            Interlocked.Increment(ref all);
            if (from.Equals(putter.EndPoint) && datagram.IndexOf(FindNodeMethod) >= 0)
            {
                Interlocked.Increment(ref findNodes);
            }

            if (from.Equals(putter.EndPoint) && datagram.IndexOf(PingMethod) >= 0)
            {
                Interlocked.Increment(ref pings);
            }
        };

        var keys = Enumerable.Range(0, Puts).Select(i => NodeId.FromKey($"seeded-{i}")).ToArray();
        foreach (var key in keys)
        {
            var put = await sim.RunAsync(putter.PutAsync(key, DhtValue.FromString("v"), Token), Token);
            Assert.Equal(K, put.StoredAt);
        }

        sim.Network.Tap = null;
        var others = sim.Nodes.Where(n => n != putter).ToArray();
        var holding = 0;
        foreach (var key in keys)
        {
            holding += others.OrderBy(n => n.Id.DistanceTo(key)).Take(K).Count(n => n.GetStoredValue(key) is not null);
        }

        File.AppendAllText("/tmp/hotpath-diag.txt", $"seeds {seeds}: find_node {findNodes} pings {pings} all {all} holding {holding}\n");
        return (Volatile.Read(ref findNodes), holding);
    }
}

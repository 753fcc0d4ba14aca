using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Storage;
using Liaa.Node.Wire;

namespace Liaa.Tests.Faults;

/// <summary>
/// Churn and partitions in the simulator: the real node code on an in-memory network with a manual clock,
/// so hours of replication and refresh take seconds and every random choice is seeded.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class SimulatedFaultTests
{
    private static readonly TimeSpan Maintenance = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Replication = TimeSpan.FromMinutes(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// 30 nodes hold 500 keys; a third of them die at once, then a third of the survivors. After each wave and
    /// one replication interval every key is readable; after a second, every key is again held by at least k
    /// live nodes. k is 8 here, not 20: with k = 20 of 30 nodes every key would survive on the nodes left even
    /// with no replication at all.
    /// </summary>
    [Fact]
    public async Task Churn_EveryKeyStaysReadable_AndReplicationRestoresKCopies_AfterAThirdOfTheNodesDie()
    {
        const int k = 8;
        await using var sim = await SimulatedNetwork.CreateAsync(Options(nodes: 30, seed: 41, k), Token);
        var random = new Random(43);
        var keys = Enumerable.Range(0, 500).Select(i => $"churn-{i}").ToArray();
        await PutAllAsync(sim, keys, random, sim.Nodes);

        foreach (var wave in new[] { 10, 7 })
        {
            var alive = sim.Nodes.Where(sim.IsRunning).ToList();
            foreach (var victim in alive.OrderBy(_ => random.Next()).Take(wave))
            {
                sim.Silence(victim);
            }

            await sim.AdvanceAsync(Replication + (2 * Maintenance), Token);
            var survivors = sim.Nodes.Where(sim.IsRunning).ToList();
            Assert.Empty(await UnreadableAsync(sim, keys, survivors, random));

            // One more interval: by now every table has marked the dead stale, so answers no longer name them
            // and replication finds the true k closest live nodes for every key.
            await sim.AdvanceAsync(Replication, Token);
            var copies = keys.Select(key => survivors.Count(n => n.GetStoredValues().Any(v => v.Key == NodeId.FromKey(key) && v.Origin != ValueOrigin.Cached))).ToArray();
            Assert.True(copies.All(c => c >= k), $"after killing {wave}: fewest live copies {copies.Min()} (of {survivors.Count} live nodes)");
        }
    }

    /// <summary>
    /// 40 nodes split in two for two hours; each half takes puts of its own. After the split heals, stale
    /// contacts are probed, lookups cross again, replication moves each value to its true k closest, and every
    /// node reads every key.
    /// </summary>
    [Fact]
    public async Task Partition_HealsOnceJoinedAgain_AndPutsFromBothSidesAreReadableEverywhere()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(Options(nodes: 40, seed: 47, k: 20), Token);
        var random = new Random(53);
        var left = sim.Nodes.Take(20).ToList();
        var right = sim.Nodes.Skip(20).ToList();
        sim.Network.Partition(left.Select(n => n.EndPoint), right.Select(n => n.EndPoint));

        var leftKeys = Enumerable.Range(0, 20).Select(i => $"left-{i}").ToArray();
        var rightKeys = Enumerable.Range(0, 20).Select(i => $"right-{i}").ToArray();
        await PutAllAsync(sim, leftKeys, random, left);
        await PutAllAsync(sim, rightKeys, random, right);
        await sim.AdvanceAsync(TimeSpan.FromHours(2), Token);

        // The split is real: one side cannot read the other's puts.
        Assert.Equal(rightKeys.Length, (await UnreadableAsync(sim, rightKeys, left.Take(1).ToList(), random)).Count);

        sim.Network.Heal();
        await sim.AdvanceAsync(Replication + (2 * Maintenance), Token);

        var unreadable = new List<string>();
        foreach (var reader in sim.Nodes)
        {
            unreadable.AddRange(await UnreadableAsync(sim, [.. leftKeys, .. rightKeys], [reader], random));
        }

        Assert.Empty(unreadable);
    }

    private static SimulationOptions Options(int nodes, int seed, int k) => new()
    {
        NodeCount = nodes,
        Seed = seed,
        ConfigureNode = options =>
        {
            options.MaintenanceInterval = Maintenance;
            options.Kademlia.K = k;
            options.Storage.ReplicateInterval = Replication;
            options.Storage.RepublishInterval = TimeSpan.FromHours(20);
        },
    };

    private static async Task PutAllAsync(SimulatedNetwork sim, IReadOnlyList<string> keys, Random random, IReadOnlyList<LiaaNode> publishers)
    {
        foreach (var batch in keys.Chunk(50))
        {
            var puts = batch.Select(key => publishers[random.Next(publishers.Count)].PutAsync(key, DhtValue.FromString($"value of {key}"), Token)).ToArray();
            var results = await sim.RunAsync(Task.WhenAll(puts), Token);
            Assert.All(results, r => Assert.True(r.IsAccepted && r.StoredAt >= 1, $"{r.Key}: stored at {r.StoredAt} of {r.Asked}"));
        }
    }

    /// <summary>The keys that a random reader among <paramref name="readers"/> cannot read back (each key read once).</summary>
    private static async Task<List<string>> UnreadableAsync(SimulatedNetwork sim, IReadOnlyList<string> keys, IReadOnlyList<LiaaNode> readers, Random random)
    {
        var unreadable = new List<string>();
        foreach (var batch in keys.Chunk(50))
        {
            var gets = batch.Select(key => readers[random.Next(readers.Count)].GetAsync(key, Token)).ToArray();
            var results = await sim.RunAsync(Task.WhenAll(gets), Token);
            for (var i = 0; i < batch.Length; i++)
            {
                if (results[i].Value?.AsString() != $"value of {batch[i]}")
                {
                    unreadable.Add(batch[i]);
                }
            }
        }

        return unreadable;
    }
}

using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;

namespace Liaa.Tests.Simulation;

/// <summary>How many of the true k closest a simulated network's lookups find: the measure of lookup quality.</summary>
internal static class TrueClosest
{
    /// <summary>
    /// Runs <paramref name="lookups"/> FIND_NODE lookups of random targets from random nodes (both drawn from
    /// <paramref name="seed"/>) and returns the share of the true 20 closest (by XOR, the origin left out) they returned.
    /// </summary>
    public static async Task<double> ShareFoundAsync(SimulatedNetwork sim, int lookups, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var ids = sim.Nodes.Select(n => n.Id).ToArray();
        int found = 0, expected = 0;
        for (var lookup = 0; lookup < lookups; lookup++)
        {
            var target = NodeId.Random(random);
            var from = sim.Nodes[random.Next(sim.Nodes.Count)];
            var closest = await sim.RunAsync(from.FindClosestNodesAsync(target, cancellationToken), cancellationToken);
            var truth = ids.Where(id => id != from.Id).OrderBy(id => id ^ target).Take(20).ToHashSet();
            found += closest.Count(c => truth.Contains(c.Id));
            expected += truth.Count;
        }

        return (double)found / expected;
    }
}

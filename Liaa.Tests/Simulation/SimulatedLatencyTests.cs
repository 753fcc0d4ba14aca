using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Simulation;

/// <summary>
/// The simulator with per-pair latency. It runs alone (a collection without parallelism), so the default rule
/// that moves the clock once the network is quiet is not fooled by other tests' work; the rule <c>bench sim</c> uses
/// (<see cref="SimulationOptions.OwnsThreadPool"/>) needs the process's pool to itself, which a test process never
/// gives it: beside leftovers of earlier tests it hung and grew the test process until it was killed.
/// </summary>
[Collection(ProcessWideMetersCollection.Name)]
public sealed class SimulatedLatencyTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LookupThroughOneNode_TakesExactlyThePairsRoundTrip_OnTheVirtualClock()
    {
        var model = new PairLatency(seed: 5);
        await using var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions { NodeCount = 2, Seed = 9, Network = new InMemoryNetworkOptions { PathDelay = model } }, Token);
        var (seed, joined) = (sim.Nodes[0], sim.Nodes[1]);
        Assert.Equal(seed.Id, Assert.Single(joined.GetContacts()).Id);

        // The only contact is the seed: the lookup asks it once and ends with its answer, one RTT later (two halves, each rounded down to a tick).
        var start = sim.Time.GetUtcNow();
        var closest = await sim.RunAsync(joined.FindClosestNodesAsync(NodeId.Random(new Random(2)), Token), Token);

        Assert.Equal(seed.Id, Assert.Single(closest).Id);
        Assert.Equal(model.OneWayDelay(joined.EndPoint, seed.EndPoint) + model.OneWayDelay(seed.EndPoint, joined.EndPoint), sim.Time.GetUtcNow() - start);
        Assert.Equal(0, sim.ForcedSteps);
    }
}

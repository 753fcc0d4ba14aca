using Liaa.Node;
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

    [Fact]
    public async Task SlowRequest_FreesItsSlotAtTheThreshold_WhenTheWakeUpIsNotAWholeNumberOfMillisecondsAway()
    {
        // α = 2 and no final step: the origin asks S1 (silent) and F at t0; F answers one RTT (2.5 ms) later and S2
        // (silent) takes its slot, so both slots are held until S1 turns slow at t0 + 1 s, 997.5 ms after that answer.
        // Task.Delay counts whole milliseconds, rounding down: the lookup used to wake 0.5 ms early, find nothing
        // slow yet, and spin on a zero delay that completes at once, never arming a timer for the last 0.5 ms. The
        // clock then moved only to the next due timer, S1's RPC timeout at 5 s, and only then was Y asked.
        await using var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions
            {
                NodeCount = 1,
                Seed = 4,
                ConfigureNode = options =>
                {
                    options.Kademlia.Alpha = 2;
                    options.Kademlia.FinalStepAtOnce = false;
                },
            },
            Token);
        var origin = sim.Nodes[0];
        var nodes = new List<LiaaNode>();
        foreach (var last in new byte[] { 1, 2, 3, 4 })
        {
            var id = new byte[NodeId.ByteLength];
            id[^1] = last;
            nodes.Add(await sim.RunAsync(sim.AddNodeAsync(join: true, id: NodeId.FromBytes(id), cancellationToken: Token), Token));
        }

        var (s1, f, s2, y) = (nodes[0], nodes[1], nodes[2], nodes[3]);
        Assert.Equal(4, origin.GetContacts().Count);
        sim.Silence(s1);
        sim.Silence(s2);
        sim.Network.Options = sim.Network.Options with { PathDelay = new PairLatency(1, TimeSpan.FromMilliseconds(2.5), 0) };
        var askedY = new List<DateTimeOffset>();
        sim.Network.Tap = (from, to, _) =>
        {
            if (from.Equals(origin.EndPoint) && to.Equals(y.EndPoint))
            {
                lock (askedY)
                {
                    askedY.Add(sim.Time.GetUtcNow());
                }
            }
        };

        var start = sim.Time.GetUtcNow();
        var closest = await sim.RunAsync(origin.FindClosestNodesAsync(NodeId.Zero, Token), Token);

        var firstAsked = Assert.Single(askedY) - start;
        Assert.InRange(firstAsked, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(1001));
        Assert.Equal([f.Id, y.Id], closest.Select(c => c.Id));
        Assert.Equal(0, sim.ForcedSteps);
    }
}

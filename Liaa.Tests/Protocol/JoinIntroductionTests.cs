using System.Net;
using Liaa.Node.Simulation;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Protocol;

/// <summary>
/// The join's introduction (issue 15 item 4): beside the paper's lookup of its own id, a joiner pings every contact the
/// seed names as closest to it, all at once, so it knows them (and they know it) two round trips after the seed's
/// answer instead of one lookup wave after another. On the simulator's virtual clock with a fixed delay, so the round
/// trips are counted exactly. Alone in its collection: the clock moves once the process's pool is quiet.
/// </summary>
[Collection(ProcessWideMetersCollection.Name)]
public sealed class JoinIntroductionTests
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(5);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AJoiner_HearsFromEightLivePeers_WithinThreeRoundTripsOfItsFirstPing()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions { NodeCount = 20, Seed = 3 }, Token);
        var joiner = await sim.AddNodeAsync(join: false, cancellationToken: Token);
        sim.Network.Options = sim.Network.Options with { MinDelay = OneWay, MaxDelay = OneWay };

        // When each other node's first datagram reached the joiner (sent, plus the one-way delay): a well-formed message
        // is what puts its sender in the routing table.
        var heardFrom = new Dictionary<IPEndPoint, DateTimeOffset>();
        sim.Network.Tap = (from, to, _) =>
        {
            if (to.Equals(joiner.EndPoint))
            {
                lock (heardFrom)
                {
                    heardFrom.TryAdd(from, sim.Time.GetUtcNow() + OneWay);
                }
            }
        };
        var start = sim.Time.GetUtcNow();
        var joined = await sim.RunAsync(joiner.BootstrapAsync([sim.Nodes[0].EndPoint], Token), Token);
        sim.Network.Tap = null;

        Assert.True(joined.IsJoined);
        Assert.Equal(20, joiner.GetContacts().Count);

        // The ping to the seed, the seed's answer to FIND_NODE, then every named contact's answer to its ping: 3 round
        // trips. The lookup alone, α = 3 at a time, heard from its 8th node a round trip or two later.
        var roundTrip = OneWay + OneWay;
        var eighth = heardFrom.Values.Order().ElementAt(7) - start;
        Assert.True(eighth <= 3 * roundTrip, $"the joiner heard from its 8th peer {eighth.TotalMilliseconds} ms after its first ping (round trip {roundTrip.TotalMilliseconds} ms)");
        Assert.All(sim.Nodes.Where(n => n != joiner), node => Assert.Contains(node.GetContacts(), c => c.Id == joiner.Id));
    }
}

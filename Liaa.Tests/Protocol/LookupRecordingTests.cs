using System.Net;
using System.Text;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Tests.Protocol;

/// <summary>
/// The node's record of its latest lookups (<see cref="LookupHistory"/>, <c>GET /v1/lookups</c>): a lookup's
/// recorded rounds name exactly the requests it put on the wire (seen on the simulated network), with the
/// silent node as a timeout and everyone else as answered; the ring keeps only the newest; 0 records nothing.
/// Simulated network, manual clock.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class LookupRecordingTests
{
    private const int K = 4;
    private const int Alpha = 2;

    private static readonly byte[] FindValueMethod = [0xaa, .. Encoding.ASCII.GetBytes("find_value")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecordedRounds_MatchTheRequestsSent_WithTheSilentNodeTimedOut()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(Options(recentLookups: 8), Token);
        var getter = sim.Nodes[5];
        var key = NodeId.FromKey("recorded");
        var initial = getter.GetContacts().OrderBy(c => c.Id ^ key).Take(K).ToList();
        var silent = initial[0];
        sim.Network.Disconnect(silent.EndPoint);

        var sent = new List<IPEndPoint>();
        sim.Network.Tap = (from, to, datagram) =>
        {
            if (from.Equals(getter.EndPoint) && datagram.IndexOf(FindValueMethod) >= 0)
            {
                lock (sent)
                {
                    sent.Add(to);
                }
            }
        };

        var started = sim.Time.GetUtcNow();
        var get = await sim.RunAsync(getter.GetAsync(key, Token), Token);
        sim.Network.Tap = null;

        Assert.Null(get.Value);
        var lookup = Assert.Single(getter.GetRecentLookups(), l => l.Kind == LookupKind.FindValue && l.Target == key);
        var requests = lookup.Requests;
        Assert.Equal(sent.Select(e => e.ToString()).Order(), requests.Select(r => EndPointOf(sim, r.Node)).Order());
        Assert.Equal(requests.Count, requests.Select(r => r.Node).Distinct().Count());

        var timedOut = Assert.Single(requests, r => r.Outcome == LookupRequestOutcome.TimedOut);
        Assert.Equal(silent.Id, timedOut.Node);
        Assert.True(timedOut.CompletedAt - timedOut.SentAt >= new Liaa.Node.Rpc.RpcOptions().Timeout);
        Assert.All(requests.Where(r => r.Node != silent.Id), r => Assert.Equal(LookupRequestOutcome.Answered, r.Outcome));
        Assert.All(requests.Where(r => r.Outcome == LookupRequestOutcome.Answered), r => Assert.InRange(r.Returned, 1, K));

        // Round 1 is the α closest of the node's own table; rounds are numbered in the order sent.
        Assert.Equal(initial.Take(Alpha).Select(c => c.Id).Order(), requests.Where(r => r.Round == 1).Select(r => r.Node).Order());
        Assert.Equal(requests.Select(r => r.Round).Order(), requests.Select(r => r.Round));
        Assert.Equal(lookup.Rounds, requests.Max(r => r.Round));
        Assert.True(lookup.Rounds >= 2, $"{lookup.Rounds} rounds");
        Assert.All(requests, r => Assert.InRange(r.SentAt, started, lookup.FinishedAt!.Value));

        // What came back closer: closer than all of the node's own k closest, and never the same contact twice.
        var best = initial.Min(c => c.Id ^ key);
        var closer = requests.SelectMany(lookup.CloserOf).ToList();
        Assert.All(closer, id => Assert.True((id ^ key) < best, $"{id} is not closer than the node's own contacts"));
        Assert.Equal(closer.Count, closer.Distinct().Count());
        Assert.All(lookup.Closest, id => Assert.Contains(requests, r => r.Node == id && r.Outcome == LookupRequestOutcome.Answered));
        Assert.NotEmpty(lookup.Closest);
        Assert.False(lookup.HasValue);
    }

    [Fact]
    public async Task PutLookupsEndingAtConvergence_NoteTheAnswersThatCameAfterThem()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(Options(recentLookups: 32), Token);
        sim.Network.Options = sim.Network.Options with { MinDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(20) };
        var putter = sim.Nodes[5];
        var keys = Enumerable.Range(0, 12).Select(i => $"late-{i}").ToArray();
        foreach (var key in keys)
        {
            await sim.RunAsync(putter.PutAsync(key, DhtValue.FromString("v"), Token), Token);
        }

        await sim.AdvanceAsync(TimeSpan.FromSeconds(1), Token);

        var lookups = putter.GetRecentLookups().Where(l => l.Kind == LookupKind.FindNode && keys.Select(NodeId.FromKey).Contains(l.Target)).ToList();
        Assert.Equal(keys.Length, lookups.Count);
        var requests = lookups.SelectMany(l => l.Requests.Select(r => (Lookup: l, Request: r))).ToList();

        // Every request ended, and at least one lookup ended before one of its answers arrived: that answer is noted as late.
        Assert.All(requests, r => Assert.Equal(LookupRequestOutcome.Answered, r.Request.Outcome));
        Assert.Contains(requests, r => r.Request.CompletedAt > r.Lookup.FinishedAt);
        Assert.All(requests.Where(r => r.Request.CompletedAt > r.Lookup.FinishedAt), r => Assert.Empty(r.Lookup.CloserOf(r.Request)));
    }

    [Fact]
    public async Task History_KeepsTheNewestLookups_AndNothingWhenOff()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(Options(recentLookups: 2), Token);
        var node = sim.Nodes[3];
        foreach (var name in new[] { "first", "second", "third" })
        {
            await sim.RunAsync(node.GetAsync(name, Token), Token);
        }

        Assert.Equal(
            [NodeId.FromKey("third"), NodeId.FromKey("second")],
            node.GetRecentLookups().Select(l => l.Target));

        await using var off = await SimulatedNetwork.CreateAsync(Options(recentLookups: 0), Token);
        await off.RunAsync(off.Nodes[3].GetAsync("unrecorded", Token), Token);
        Assert.Empty(off.Nodes[3].GetRecentLookups());
    }

    private static string EndPointOf(SimulatedNetwork sim, NodeId id) => sim.Nodes.Single(n => n.Id == id).EndPoint.ToString();

    private static SimulationOptions Options(int recentLookups) => new()
    {
        NodeCount = 24,
        Seed = 12,
        ConfigureNode = options =>
        {
            options.Kademlia.K = K;
            options.Kademlia.Alpha = Alpha;
            options.Kademlia.RecentLookups = recentLookups;

            // Every put runs its own lookup here: these tests read the lookups' recordings.
            options.Storage.PutLookupReuse = 0;
        },
    };
}

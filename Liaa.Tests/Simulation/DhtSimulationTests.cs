using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Tests.Simulation;

/// <summary>
/// The node code, unchanged, on an in-memory network of hundreds of nodes with a manual clock
/// (issue 3, item 8): reads from everywhere, lookup quality, eviction, hand-off, expiry.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class DhtSimulationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_IsReadable_FromEveryNode_In200NodeNetwork()
    {
        // Every put waits for all k STOREs here (not the default quorum), so StoredAt counts every holder.
        await using var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions { NodeCount = 200, Seed = 3, ConfigureNode = options => options.Storage.PutAcknowledgements = 0 }, Token);
        var random = new Random(5);
        var keys = Enumerable.Range(0, 8).Select(i => $"key-{i}").ToArray();
        foreach (var key in keys)
        {
            var publisher = sim.Nodes[random.Next(sim.Nodes.Count)];
            var put = await sim.RunAsync(publisher.PutAsync(key, DhtValue.FromString($"value of {key}"), Token), Token);
            Assert.True(put.StoredAt >= 18, $"{key} stored at only {put.StoredAt} of {put.Asked} nodes");
        }

        var missing = new List<string>();
        foreach (var key in keys)
        {
            var gets = sim.Nodes.Select(n => n.GetAsync(key, Token)).ToArray();
            var results = await sim.RunAsync(Task.WhenAll(gets), Token);
            for (var i = 0; i < results.Length; i++)
            {
                if (results[i].Value is not { } value || value.AsString() != $"value of {key}")
                {
                    missing.Add($"{key} from node {i}");
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public async Task FindNode_FindsAtLeast95PercentOfTrueKClosest()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions { NodeCount = 250, Seed = 11 }, Token);
        var share = await TrueClosest.ShareFoundAsync(sim, lookups: 40, seed: 13, Token);
        Assert.True(share >= 0.95, $"found {share:P1} of the true k closest");
    }

    [Fact]
    public async Task SilentNode_StaysAfterOneFailure_AndIsStaleOrEvictedAfterRepeatedFailures()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions { NodeCount = 30, Seed = 17 }, Token);
        var observer = sim.Nodes[1];
        var silent = observer.GetContacts().First(c => c.Id != sim.Nodes[0].Id);
        sim.Silence(sim.Nodes.Single(n => n.Id == silent.Id));
        var threshold = observer.Options.Kademlia.FailuresBeforeEviction;

        await sim.RunAsync(observer.FindClosestNodesAsync(silent.Id, Token), Token);
        var afterOne = Find(observer, silent.Id);
        Assert.NotNull(afterOne);
        Assert.Equal(1, afterOne.FailureCount);
        Assert.False(afterOne.IsStale);

        // A lookup no longer asks a stale contact, so each further failure comes from a direct lookup
        // while the contact is still considered live.
        for (var attempt = 1; attempt < threshold; attempt++)
        {
            await sim.RunAsync(observer.FindClosestNodesAsync(silent.Id, Token), Token);
        }

        var afterThreshold = Find(observer, silent.Id);
        Assert.True(afterThreshold is null || afterThreshold.IsStale, $"after {threshold} failures the contact is {afterThreshold}");
        var answer = await sim.RunAsync(sim.Nodes[2].FindClosestNodesAsync(silent.Id, Token), Token);
        Assert.DoesNotContain(answer, c => c.Id == silent.Id);
    }

    [Fact]
    public async Task JoiningNode_ReceivesTheKeysItShouldHold()
    {
        // The put waits for all k STOREs (not the default quorum): only the holder closest to the key hands it off,
        // so it must hold the value before the newcomer appears.
        await using var sim = await SimulatedNetwork.CreateAsync(
            new SimulationOptions { NodeCount = 60, Seed = 19, ConfigureNode = options => options.Storage.PutAcknowledgements = 0 }, Token);
        var key = NodeId.FromKey("handed-off");
        await sim.RunAsync(sim.Nodes[7].PutAsync(key, DhtValue.FromInt64(1234), Token), Token);

        // The newcomer's id differs from the key in the last bit only: it is the closest node there is.
        var newcomer = await sim.RunAsync(sim.AddNodeAsync(join: true, id: key.FlipBit(NodeId.BitLength - 1), cancellationToken: Token), Token);
        await sim.AdvanceAsync(TimeSpan.FromSeconds(1), Token);

        var held = newcomer.GetStoredValues().SingleOrDefault(v => v.Key == key);
        Assert.NotNull(held);
        Assert.Equal(1234, held.Value.AsInt64());
    }

    [Fact]
    public async Task Value_ExpiresWhenPublisherIsGone_AndSurvivesWhileItRepublishes()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions
        {
            NodeCount = 30,
            Seed = 23,
            ConfigureNode = options =>
            {
                options.MaintenanceInterval = TimeSpan.FromMinutes(10);
                options.Storage.Ttl = TimeSpan.FromHours(2);
                options.Storage.ReplicateInterval = TimeSpan.FromMinutes(30);
                options.Storage.RepublishInterval = TimeSpan.FromMinutes(90);
            },
        }, Token);
        var gonePublisher = sim.Nodes[5];
        var livePublisher = sim.Nodes[6];
        await sim.RunAsync(gonePublisher.PutAsync("orphan", DhtValue.FromString("bye"), Token), Token);
        await sim.RunAsync(livePublisher.PutAsync("kept", DhtValue.FromString("still here"), Token), Token);
        sim.Silence(gonePublisher);

        // Replication runs every 30 minutes meanwhile; it must not keep the orphan alive past its TTL.
        await sim.AdvanceAsync(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(20), Token);

        var reader = sim.Nodes[20];
        var orphan = await sim.RunAsync(reader.GetAsync("orphan", Token), Token);
        var kept = await sim.RunAsync(reader.GetAsync("kept", Token), Token);
        Assert.Null(orphan.Value);
        Assert.Equal("still here", kept.Value?.AsString());
    }

    private static ContactSnapshot? Find(LiaaNode node, NodeId id) =>
        node.GetRoutingTable().SelectMany(b => b.Contacts).SingleOrDefault(c => c.Contact.Id == id);
}

using Liaa.Node.Kademlia;
using Liaa.Tests.Storage;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

/// <summary>
/// Lookups over a synthetic network of 200 nodes, each a real <see cref="RoutingTable"/> that answers
/// with its own <see cref="RoutingTable.FindClosest"/>, driven by a loop that delivers one request at a
/// time in send order. Nodes join the way §2.5 says: contact a seed, look up their own id, refresh.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class LookupNetworkTests
{
    private const int NodeCount = 200;

    [Fact]
    public void FindNode_FindsTrueKClosest_OnJoinedNetwork()
    {
        var network = Network.Join(seed: 1);
        var random = new Random(2);

        var share = network.MeasureFindNode(random, lookups: 100, out var results);

        Assert.True(share >= 0.95, $"found {share:P1} of the true k closest");
        Assert.All(results, r => Assert.InRange(r.Rounds, 1, 6));
        Assert.All(results, r => Assert.Equal(0, r.Timeouts));
    }

    [Fact]
    public void FindNode_StillFindsLiveKClosest_WhenTenthOfNodesAreSilent()
    {
        var network = Network.Join(seed: 3);
        var random = new Random(4);
        foreach (var node in network.Nodes.Values.OrderBy(_ => random.Next()).Take(NodeCount / 10))
        {
            network.Dead.Add(node.Contact.Id);
        }

        var share = network.MeasureFindNode(random, lookups: 100, out var results);

        Assert.True(share >= 0.95, $"found {share:P1} of the live k closest");
        Assert.True(results.Sum(r => r.Timeouts) > 0, "some requests must have met a silent node");
        Assert.All(results, r => Assert.DoesNotContain(r.ClosestNodes, c => network.Dead.Contains(c.Id)));
    }

    [Fact]
    public void FindValue_FindsValue_StoredAtKClosest_FromEveryStart()
    {
        var network = Network.Join(seed: 5);
        var random = new Random(6);
        var key = NodeId.Random(random);
        var value = TestValues.Bytes(42);
        foreach (var holder in network.TrueClosest(key, excluding: null))
        {
            network.Nodes[holder].Values[key] = value;
        }

        foreach (var start in network.Nodes.Values.Where(n => !n.Values.ContainsKey(key)).Take(50))
        {
            var result = network.Run(start, key, LookupKind.FindValue);

            Assert.Equal(value, result.Value);
            Assert.NotEmpty(result.ValueHolders);
            Assert.Empty(result.OtherValueHolders);
            Assert.True(result.NodesContacted < 3 * network.Options.K, $"contacted {result.NodesContacted}");
        }
    }

    private sealed class SimNode(Contact contact, RoutingTable table)
    {
        public Contact Contact { get; } = contact;

        public RoutingTable Table { get; } = table;

        public Dictionary<NodeId, DhtValue> Values { get; } = [];
    }

    private sealed class Network
    {
        private DateTimeOffset _now = Start;

        public KademliaOptions Options { get; } = new() { K = 20, Alpha = 3, SlowRequestThreshold = null };

        public Dictionary<NodeId, SimNode> Nodes { get; } = [];

        public HashSet<NodeId> Dead { get; } = [];

        public static Network Join(int seed)
        {
            var random = new Random(seed);
            var network = new Network();
            SimNode? first = null;
            for (var i = 0; i < NodeCount; i++)
            {
                var id = NodeId.Random(random);
                var node = new SimNode(At(id, 40000 + i), new RoutingTable(id, network.Options));
                network.Nodes.Add(id, node);
                if (first is null)
                {
                    first = node;
                    continue;
                }

                // Ping the seed (both learn of each other), look up our own id, then refresh every other bucket.
                network.Observe(first, node.Contact);
                network.Observe(node, first.Contact);
                network.Run(node, id, LookupKind.FindNode);
                foreach (var target in node.Table.GetRefreshTargets(network._now, random))
                {
                    network.Run(node, target, LookupKind.FindNode);
                }
            }

            return network;
        }

        public List<NodeId> TrueClosest(NodeId target, NodeId? excluding) =>
            [.. Nodes.Keys.Where(id => id != excluding && !Dead.Contains(id)).OrderBy(id => id ^ target).Take(Options.K)];

        public double MeasureFindNode(Random random, int lookups, out List<LookupResult> results)
        {
            results = [];
            var live = Nodes.Values.Where(n => !Dead.Contains(n.Contact.Id)).ToList();
            int found = 0, expected = 0;
            for (var i = 0; i < lookups; i++)
            {
                var start = live[random.Next(live.Count)];
                var target = i % 2 == 0 ? NodeId.Random(random) : live[random.Next(live.Count)].Contact.Id;
                var result = Run(start, target, LookupKind.FindNode);
                var truth = TrueClosest(target, start.Contact.Id);
                found += result.ClosestNodes.Count(c => truth.Contains(c.Id));
                expected += truth.Count;
                results.Add(result);
            }

            return (double)found / expected;
        }

        public LookupResult Run(SimNode initiator, NodeId target, LookupKind kind)
        {
            var lookup = new Lookup(kind, initiator.Contact.Id, target, initiator.Table.FindClosest(target, Options.K), Options);
            var inFlight = new Queue<Contact>();
            while (true)
            {
                var step = lookup.Next(_now);
                // α in flight until the lookup converges; then §2.3's final step asks the rest of the k closest at once.
                Assert.InRange(lookup.InFlightCount, 0, lookup.IsFinalStep ? Options.K : Options.Alpha);
                if (step.Kind == LookupStepKind.Finished)
                {
                    initiator.Table.MarkLookup(target, _now);
                    return lookup.GetResult();
                }

                if (step.Kind == LookupStepKind.Send)
                {
                    foreach (var contact in step.Contacts)
                    {
                        inFlight.Enqueue(contact);
                    }

                    continue;
                }

                Assert.NotEmpty(inFlight);
                var to = inFlight.Dequeue();
                _now += TimeSpan.FromMilliseconds(1);
                if (Dead.Contains(to.Id))
                {
                    lookup.OnFailure(to.Id, _now);
                    initiator.Table.RecordFailure(to.Id, _now);
                    continue;
                }

                var peer = Nodes[to.Id];
                Observe(peer, initiator.Contact);
                Observe(initiator, to);
                if (kind == LookupKind.FindValue && peer.Values.TryGetValue(target, out var value))
                {
                    lookup.OnValue(to, value, null, _now);
                }
                else
                {
                    // As the Python peers answer: up to k contacts, without the requester.
                    lookup.OnResponse(to.Id, peer.Table.FindClosest(target, Options.K, c => c.Id == initiator.Contact.Id, includeStale: false), _now);
                }
            }
        }

        /// <summary>A message from <paramref name="contact"/> reached <paramref name="node"/>; a full bucket pings its oldest contact.</summary>
        private void Observe(SimNode node, Contact contact)
        {
            var result = node.Table.Observe(contact, _now);
            if (result.Status == AddContactStatus.Full)
            {
                if (Dead.Contains(result.ContactToPing!.Id))
                {
                    node.Table.RecordFailure(result.ContactToPing.Id, _now);
                }
                else
                {
                    node.Table.Observe(result.ContactToPing, _now);
                }
            }
        }
    }
}

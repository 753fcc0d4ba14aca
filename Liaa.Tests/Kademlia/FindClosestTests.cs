using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class FindClosestTests
{
    /// <summary>A table of <paramref name="size"/> contacts, half uniform and half clustered around self or a hot spot.</summary>
    internal static RoutingTable RandomTable(Random random, int size, int k, int b)
    {
        var self = NodeId.Random(random);
        var hotSpot = NodeId.Random(random);
        var table = new RoutingTable(self, new KademliaOptions { K = k, Alpha = 1, RelaxedSplitDepth = b });
        for (var i = 0; i < size; i++)
        {
            var id = random.Next(3) switch
            {
                0 => Near(self, random.Next(1, 60), random),
                1 => Near(hotSpot, random.Next(1, 60), random),
                _ => NodeId.Random(random),
            };
            table.Observe(At(id, 1 + (i % 60000)), Start.AddSeconds(i));
        }

        return table;
    }

    /// <summary>Brute force: every contact, filtered, sorted by distance.</summary>
    private static List<Contact> Expected(RoutingTable table, NodeId target, int count, Func<Contact, bool>? exclude, bool includeStale) =>
        [.. table.GetAll()
            .Where(c => exclude is null || !exclude(c))
            .Where(c => includeStale || !table.IsStale(c.Id))
            .OrderBy(c => c.Id ^ target)
            .Take(count)];

    [Fact]
    public void FindClosest_EqualsBruteForce_OnRandomTables()
    {
        var random = new Random(20250101);
        for (var table = 0; table < 60; table++)
        {
            var k = new[] { 1, 2, 3, 8, 20 }[random.Next(5)];
            var routing = RandomTable(random, random.Next(0, 800), k, random.Next(1, 6));
            var contacts = routing.GetAll();

            // Some contacts stale, to check the filter too.
            foreach (var contact in contacts.Where((_, i) => i % 7 == 0))
            {
                for (var f = 0; f < routing.Options.FailuresBeforeEviction; f++)
                {
                    routing.RecordFailure(contact.Id, Start);
                }
            }

            for (var query = 0; query < 40; query++)
            {
                var target = (query % 4) switch
                {
                    0 when contacts.Count > 0 => contacts[random.Next(contacts.Count)].Id,
                    1 => Near(routing.Self, random.Next(0, 161), random),
                    _ => NodeId.Random(random),
                };
                var count = random.Next(0, 3 * k + 5);
                var salt = random.Next();
                Func<Contact, bool>? exclude = query % 3 == 0 ? c => ((c.Id.GetHashCode() ^ salt) & 3) == 0 : null;
                var includeStale = query % 2 == 0;

                var actual = routing.FindClosest(target, count, exclude, includeStale);

                Assert.Equal(Expected(routing, target, count, exclude, includeStale), actual);
            }
        }
    }

    [Fact]
    public void FindClosest_ReturnsEmpty_ForEmptyTableOrNonPositiveCount()
    {
        var table = new RoutingTable(NodeId.Zero, new KademliaOptions());
        Assert.Empty(table.FindClosest(NodeId.Max, 20));
        table.Observe(At(NodeId.Max, 1), Start);
        Assert.Empty(table.FindClosest(NodeId.Max, 0));
        Assert.Equal([At(NodeId.Max, 1)], table.FindClosest(NodeId.Zero, int.MaxValue));
    }

    [Fact]
    public void GetRefreshTargets_FallInStaleBucketsOnly_OnePerBucket()
    {
        var random = new Random(5);
        var table = RandomTable(random, 600, 8, 3);
        var buckets = table.GetBuckets();
        Assert.True(buckets.Count > 10, $"expected a deep table, got {buckets.Count} buckets");
        Assert.Equal(buckets.Count, table.GetRefreshTargets(Start, random).Count);

        var fresh = buckets.Where((_, i) => i % 3 == 0).ToList();
        foreach (var bucket in fresh)
        {
            table.MarkLookup(bucket.High, Start.AddMinutes(30));
        }

        var justBefore = table.GetRefreshTargets(Start.AddMinutes(90) - TimeSpan.FromTicks(1), random);
        var stale = buckets.Except(fresh).ToList();
        Assert.Equal(stale.Count, justBefore.Count);
        Assert.All(justBefore.Zip(stale), pair => Assert.True(pair.Second.Low <= pair.First && pair.First <= pair.Second.High));

        var due = table.GetRefreshTargets(Start.AddMinutes(90), random);
        Assert.Equal(buckets.Count, due.Count);
        Assert.All(due.Zip(buckets), pair => Assert.True(pair.Second.Low <= pair.First && pair.First <= pair.Second.High));
        Assert.Equal(due.Count, due.Distinct().Count());
    }
}

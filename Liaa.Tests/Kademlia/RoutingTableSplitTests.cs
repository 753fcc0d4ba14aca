using System.Numerics;
using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class RoutingTableSplitTests
{
    private static string Prefix(BucketSnapshot bucket) =>
        new([.. Enumerable.Range(0, bucket.Depth).Select(i => bucket.Low.GetBit(i) ? '1' : '0')]);

    private static void AssertCoversIdSpaceExactly(RoutingTable table)
    {
        var buckets = table.GetBuckets();
        Assert.Equal(NodeId.Zero, buckets[0].Low);
        Assert.Equal(NodeId.Max, buckets[^1].High);
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            Assert.Equal(BigInteger.Pow(2, NodeId.BitLength - bucket.Depth) - 1, bucket.High.ToBigInteger() - bucket.Low.ToBigInteger());
            if (i > 0)
            {
                Assert.Equal(buckets[i - 1].High.ToBigInteger() + 1, bucket.Low.ToBigInteger());
            }

            Assert.InRange(bucket.Contacts.Count, 0, table.Options.K);
            Assert.All(bucket.Contacts.Concat(bucket.Replacements), c => Assert.True(bucket.Low <= c.Contact.Id && c.Contact.Id <= bucket.High));
            Assert.Equal(bucket.Low <= table.Self && table.Self <= bucket.High, bucket.ContainsSelf);
        }

        Assert.Single(buckets, b => b.ContainsSelf);
        Assert.Equal(table.Count, buckets.Sum(b => b.Contacts.Count));
        Assert.Equal(table.ReplacementCount, buckets.Sum(b => b.Replacements.Count));
        Assert.Equal(table.BucketCount, buckets.Count);
    }

    [Theory]
    [InlineData(1, 20, 5)]
    [InlineData(2, 20, 1)]
    [InlineData(3, 4, 2)]
    [InlineData(4, 8, 3)]
    public void Split_KeepsEveryContactInItsBucket_AndRangesCoverIdSpaceExactly(int seed, int k, int b)
    {
        var random = new Random(seed);
        var self = NodeId.Random(random);
        var table = new RoutingTable(self, new KademliaOptions { K = k, Alpha = 1, RelaxedSplitDepth = b });
        var added = new HashSet<NodeId>();
        for (var i = 0; i < 3000; i++)
        {
            // Half uniform, half sharing a growing prefix with self, so the own-id path goes deep.
            var id = i % 2 == 0 ? NodeId.Random(random) : IdNear(self, random.Next(1, 40), random);
            if (table.Observe(At(id, 10000 + (i % 50000)), Start.AddSeconds(i)).Status == AddContactStatus.Added)
            {
                added.Add(id);
            }
        }

        AssertCoversIdSpaceExactly(table);
        Assert.Equal(added.Count, table.Count);
        Assert.All(added, id => Assert.NotNull(table.Get(id)));
    }

    [Fact]
    public void Split_FollowsOwnIdOnly_WhenRelaxationIsOff()
    {
        var self = Exact("0000");
        var table = new RoutingTable(self, new KademliaOptions { K = 2, Alpha = 1, RelaxedSplitDepth = 1 });
        table.Observe(At(Exact("0010", 1), 1), Start);
        table.Observe(At(Exact("0010", 2), 2), Start);

        var result = table.Observe(At(Exact("0010", 3), 3), Start);

        Assert.Equal(AddContactStatus.Full, result.Status);
        Assert.Equal(["000", "001", "01", "1"], table.GetBuckets().Select(Prefix));
    }

    [Fact]
    public void Split_AlsoSplitsBucketsAwayFromSelf_WhileDepthIsNotMultipleOfB()
    {
        // b = 2: the sibling [001] (depth 3) splits once more to depth 4; [0010] (depth 4) is full and stops.
        var self = Exact("0000");
        var table = new RoutingTable(self, new KademliaOptions { K = 2, Alpha = 1, RelaxedSplitDepth = 2 });
        table.Observe(At(Exact("0010", 1), 1), Start);
        table.Observe(At(Exact("0010", 2), 2), Start);

        var result = table.Observe(At(Exact("0010", 3), 3), Start);

        Assert.Equal(AddContactStatus.Full, result.Status);
        Assert.Equal(["000", "0010", "0011", "01", "1"], table.GetBuckets().Select(Prefix));
        Assert.Equal(4, table.GetBuckets().Single(b => Prefix(b) == "0010").Depth);

        // [0011] has room: contacts land there without another split.
        table.Observe(At(Exact("0011", 4), 4), Start);
        Assert.Equal(AddContactStatus.Added, table.Observe(At(Exact("0011", 5), 5), Start).Status);
        Assert.Equal(5, table.BucketCount);
    }

    [Fact]
    public void Split_StopsAtMultipleOfB_AndSplitsAgainBelowIt()
    {
        // b = 2, self under 0: the far half [1] (depth 1) splits to depth 2 and stops there.
        var self = Exact("0");
        var table = new RoutingTable(self, new KademliaOptions { K = 2, Alpha = 1, RelaxedSplitDepth = 2 });
        foreach (var n in new uint[] { 1, 2, 3 })
        {
            table.Observe(At(Exact("10", n), (int)n), Start);
        }

        Assert.Equal(["0", "10", "11"], table.GetBuckets().Select(Prefix));
        Assert.Equal(AddContactStatus.Full, table.Observe(At(Exact("10", 4), 4), Start).Status);
        Assert.Equal(["0", "10", "11"], table.GetBuckets().Select(Prefix));
    }

    [Fact]
    public void Split_InheritsLastLookup()
    {
        var self = Exact("0");
        var table = new RoutingTable(self, new KademliaOptions { K = 1, Alpha = 1, RelaxedSplitDepth = 1 });
        table.MarkLookup(Exact("1"), Start);
        table.Observe(At(Exact("1", 1), 1), Start);
        table.Observe(At(Exact("01", 1), 2), Start);

        Assert.All(table.GetBuckets(), b => Assert.Equal(Start, b.LastLookup));
    }

    private static NodeId IdNear(NodeId self, int sharedBits, Random random)
    {
        var id = NodeId.Random(random);
        for (var i = 0; i < sharedBits; i++)
        {
            if (id.GetBit(i) != self.GetBit(i))
            {
                id = id.FlipBit(i);
            }
        }

        return id.GetBit(sharedBits) == self.GetBit(sharedBits) ? id.FlipBit(sharedBits) : id;
    }
}

using System.Net;
using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class RoutingTableTests
{
    // Self starts with 0; every test contact starts with 1, so once the root has split they all share the
    // depth-1 bucket [1…], which never splits with RelaxedSplitDepth = 1.
    private static readonly NodeId Self = Exact("0", 7);

    private static RoutingTable SmallTable(int k = 3, int? replacements = null, int failures = 3) =>
        new(Self, new KademliaOptions { K = k, Alpha = 1, RelaxedSplitDepth = 1, ReplacementCacheSize = replacements, FailuresBeforeEviction = failures });

    private static Contact Far(uint n) => At(Exact("1", n), 20000 + (int)n);

    private static List<NodeId> Order(RoutingTable table, NodeId inBucketOf) =>
        table.GetBuckets().Single(b => IdPrefixCovers(b, inBucketOf)).Contacts.Select(c => c.Contact.Id).ToList();

    private static List<NodeId> ReplacementOrder(RoutingTable table, NodeId inBucketOf) =>
        table.GetBuckets().Single(b => IdPrefixCovers(b, inBucketOf)).Replacements.Select(c => c.Contact.Id).ToList();

    private static bool IdPrefixCovers(BucketSnapshot bucket, NodeId id) => bucket.Low <= id && id <= bucket.High;

    [Fact]
    public void Observe_AddsContact_WhenBucketHasRoom()
    {
        var table = SmallTable();

        var result = table.Observe(Far(1), Start);

        Assert.Equal(AddContactStatus.Added, result.Status);
        Assert.Equal(1, table.Count);
        Assert.Equal(Far(1), table.Get(Far(1).Id));
        Assert.Null(table.Get(Far(2).Id));
    }

    [Fact]
    public void Observe_Rejects_OwnIdAndUnusableEndPoints()
    {
        var table = SmallTable();
        var id = Far(1).Id;

        Assert.Equal(AddContactStatus.Rejected, table.Observe(At(Self, 1000), Start).Status);
        Assert.Equal(AddContactStatus.Rejected, table.Observe(new Contact(id, new IPEndPoint(IPAddress.Loopback, 0)), Start).Status);
        Assert.Equal(AddContactStatus.Rejected, table.Observe(new Contact(id, new IPEndPoint(IPAddress.Any, 1000)), Start).Status);
        Assert.Equal(AddContactStatus.Rejected, table.Observe(new Contact(id, new IPEndPoint(IPAddress.IPv6Any, 1000)), Start).Status);
        Assert.Equal(AddContactStatus.Rejected, table.Observe(new Contact(id, new IPEndPoint(IPAddress.Broadcast, 1000)), Start).Status);
        Assert.Equal(AddContactStatus.Rejected, table.Observe(new Contact(id, new IPEndPoint(IPAddress.Parse("224.0.0.1"), 1000)), Start).Status);
        Assert.Equal(AddContactStatus.Rejected, table.Observe(new Contact(id, new IPEndPoint(IPAddress.Parse("ff02::1"), 1000)), Start).Status);
        Assert.Equal(0, table.Count);
        Assert.Equal(AddContactStatus.Added, table.Observe(new Contact(id, new IPEndPoint(IPAddress.IPv6Loopback, 1000)), Start).Status);
    }

    [Fact]
    public void Observe_MovesContactToTail_OnEveryMessage()
    {
        var table = SmallTable();
        table.Observe(Far(1), Start);
        table.Observe(Far(2), Start.AddSeconds(1));
        table.Observe(Far(3), Start.AddSeconds(2));
        Assert.Equal([Far(1).Id, Far(2).Id, Far(3).Id], Order(table, Far(1).Id));

        Assert.Equal(AddContactStatus.Updated, table.Observe(Far(1), Start.AddSeconds(3)).Status);
        Assert.Equal([Far(2).Id, Far(3).Id, Far(1).Id], Order(table, Far(1).Id));

        table.Observe(Far(2), Start.AddSeconds(4));
        Assert.Equal([Far(3).Id, Far(1).Id, Far(2).Id], Order(table, Far(1).Id));
        var lastSeen = table.GetBuckets().Single(b => IdPrefixCovers(b, Far(1).Id)).Contacts.Select(c => c.LastSeen);
        Assert.Equal([Start.AddSeconds(2), Start.AddSeconds(3), Start.AddSeconds(4)], lastSeen);
    }

    [Fact]
    public void Observe_ReturnsFullWithLeastRecentlySeen_AndCachesNewcomer()
    {
        var table = SmallTable();
        table.Observe(Far(1), Start);
        table.Observe(Far(2), Start.AddSeconds(1));
        table.Observe(Far(3), Start.AddSeconds(2));
        table.Observe(Far(1), Start.AddSeconds(3));

        var result = table.Observe(Far(4), Start.AddSeconds(4));

        Assert.Equal(AddContactStatus.Full, result.Status);
        Assert.Equal(Far(2), result.ContactToPing);
        Assert.Equal(3, table.Count);
        Assert.Null(table.Get(Far(4).Id));
        Assert.Equal(1, table.ReplacementCount);
        Assert.Equal([Far(4).Id], ReplacementOrder(table, Far(4).Id));
        Assert.Equal([Far(2).Id, Far(3).Id, Far(1).Id], Order(table, Far(1).Id));
    }

    [Fact]
    public void Observe_NeverEvicts_WhenPingedContactAnswers()
    {
        var table = SmallTable();
        for (uint i = 1; i <= 3; i++)
        {
            table.Observe(Far(i), Start.AddSeconds(i));
        }

        var full = table.Observe(Far(4), Start.AddSeconds(4));
        table.Observe(full.ContactToPing!, Start.AddSeconds(5));

        Assert.Equal([Far(2).Id, Far(3).Id, Far(1).Id], Order(table, Far(1).Id));
        Assert.Equal([Far(4).Id], ReplacementOrder(table, Far(4).Id));
    }

    [Fact]
    public void ReplacementCache_KeepsMostRecent_WhenBounded()
    {
        var table = SmallTable(replacements: 2);
        for (uint i = 1; i <= 3; i++)
        {
            table.Observe(Far(i), Start);
        }

        table.Observe(Far(4), Start.AddSeconds(1));
        table.Observe(Far(5), Start.AddSeconds(2));
        table.Observe(Far(6), Start.AddSeconds(3));
        Assert.Equal([Far(5).Id, Far(6).Id], ReplacementOrder(table, Far(4).Id));

        table.Observe(Far(5), Start.AddSeconds(4));
        Assert.Equal([Far(6).Id, Far(5).Id], ReplacementOrder(table, Far(4).Id));
        Assert.Equal(2, table.ReplacementCount);
    }

    [Fact]
    public void RecordFailure_EvictsOnlyAfterThreshold_AndPromotesNewestReplacement()
    {
        var table = SmallTable(failures: 3);
        for (uint i = 1; i <= 3; i++)
        {
            table.Observe(Far(i), Start.AddSeconds(i));
        }

        table.Observe(Far(4), Start.AddSeconds(4));
        table.Observe(Far(5), Start.AddSeconds(5));

        Assert.Equal(new FailureResult(FailureStatus.Counted, 1), table.RecordFailure(Far(1).Id, Start.AddSeconds(6)));
        Assert.Equal(new FailureResult(FailureStatus.Counted, 2), table.RecordFailure(Far(1).Id, Start.AddSeconds(7)));
        Assert.Equal(Far(1), table.Get(Far(1).Id));

        var evicted = table.RecordFailure(Far(1).Id, Start.AddSeconds(8));

        Assert.Equal(new FailureResult(FailureStatus.Evicted, 3, IsStale: true, Promoted: Far(5)), evicted);
        Assert.Null(table.Get(Far(1).Id));
        Assert.Equal(Far(5), table.Get(Far(5).Id));
        Assert.Equal(3, table.Count);
        Assert.Equal([Far(4).Id], ReplacementOrder(table, Far(4).Id));
        Assert.Equal([Far(2).Id, Far(3).Id, Far(5).Id], Order(table, Far(2).Id));
    }

    [Fact]
    public void RecordFailure_StartsOver_WhenContactIsSeenAgain()
    {
        var table = SmallTable(failures: 3);
        for (uint i = 1; i <= 4; i++)
        {
            table.Observe(Far(i), Start);
        }

        table.RecordFailure(Far(1).Id, Start);
        table.RecordFailure(Far(1).Id, Start);
        table.Observe(Far(1), Start.AddSeconds(1));
        table.RecordFailure(Far(1).Id, Start.AddSeconds(2));
        var second = table.RecordFailure(Far(1).Id, Start.AddSeconds(2));

        Assert.Equal(new FailureResult(FailureStatus.Counted, 2), second);
        Assert.Equal(Far(1), table.Get(Far(1).Id));
    }

    [Fact]
    public void RecordFailure_OnlyFlagsStale_WhenNoReplacementWaits_AndNextNewcomerTakesTheSlot()
    {
        var table = SmallTable(failures: 2);
        for (uint i = 1; i <= 3; i++)
        {
            table.Observe(Far(i), Start.AddSeconds(i));
        }

        table.RecordFailure(Far(2).Id, Start.AddSeconds(4));
        var stale = table.RecordFailure(Far(2).Id, Start.AddSeconds(5));

        Assert.Equal(new FailureResult(FailureStatus.Counted, 2, IsStale: true), stale);
        Assert.True(table.IsStale(Far(2).Id));
        Assert.Equal(3, table.Count);
        Assert.DoesNotContain(Far(2), table.FindClosest(Far(2).Id, 3, includeStale: false));
        Assert.Contains(Far(2), table.FindClosest(Far(2).Id, 3));

        var newcomer = table.Observe(Far(9), Start.AddSeconds(6));

        Assert.Equal(new AddContactResult(AddContactStatus.Added, Replaced: Far(2)), newcomer);
        Assert.Null(table.Get(Far(2).Id));
        Assert.Equal([Far(1).Id, Far(3).Id, Far(9).Id], Order(table, Far(1).Id));
    }

    [Fact]
    public void RecordFailure_DropsReplacementCandidate_AndIgnoresUnknownIds()
    {
        var table = SmallTable();
        for (uint i = 1; i <= 4; i++)
        {
            table.Observe(Far(i), Start);
        }

        Assert.Equal(FailureStatus.NotFound, table.RecordFailure(Far(4).Id, Start).Status);
        Assert.Equal(0, table.ReplacementCount);
        Assert.Equal(FailureStatus.NotFound, table.RecordFailure(Far(8).Id, Start).Status);
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void Observe_KeepsLiveEndPoint_AndSwitchesOnlyWhenItFails()
    {
        var table = SmallTable(failures: 2);
        var id = Far(1).Id;
        var old = At(id, 1000);
        var moved = At(id, 2000);
        table.Observe(old, Start);

        var conflict = table.Observe(moved, Start.AddSeconds(1));

        Assert.Equal(new AddContactResult(AddContactStatus.EndPointConflict, ContactToPing: old), conflict);
        Assert.Equal(old, table.Get(id));
        Assert.Equal(moved.EndPoint, table.GetBuckets().SelectMany(b => b.Contacts).Single().PendingEndPoint);

        // The old endpoint answers the ping: it stays and the pending endpoint is forgotten.
        Assert.Equal(AddContactStatus.Updated, table.Observe(old, Start.AddSeconds(2)).Status);
        Assert.Null(table.GetBuckets().SelectMany(b => b.Contacts).Single().PendingEndPoint);

        table.Observe(moved, Start.AddSeconds(3));
        Assert.Equal(FailureStatus.Counted, table.RecordFailure(id, Start.AddSeconds(4)).Status);
        var replaced = table.RecordFailure(id, Start.AddSeconds(5));

        Assert.Equal(new FailureResult(FailureStatus.EndPointReplaced, Promoted: moved), replaced);
        Assert.Equal(moved, table.Get(id));
        Assert.Equal(Start.AddSeconds(3), table.GetBuckets().SelectMany(b => b.Contacts).Single().LastSeen);
    }

    [Fact]
    public void Observe_SwitchesEndPointAtOnce_WhenOldOneIsStale()
    {
        var table = SmallTable(failures: 1);
        var id = Far(1).Id;
        table.Observe(At(id, 1000), Start);
        table.RecordFailure(id, Start);

        Assert.Equal(AddContactStatus.Updated, table.Observe(At(id, 2000), Start.AddSeconds(1)).Status);
        Assert.Equal(At(id, 2000), table.Get(id));
        Assert.False(table.IsStale(id));
    }

    [Fact]
    public void Remove_PromotesNewestReplacement()
    {
        var table = SmallTable();
        for (uint i = 1; i <= 5; i++)
        {
            table.Observe(Far(i), Start.AddSeconds(i));
        }

        Assert.True(table.Remove(Far(2).Id));
        Assert.Equal([Far(1).Id, Far(3).Id, Far(5).Id], Order(table, Far(1).Id));
        Assert.True(table.Remove(Far(4).Id));
        Assert.Equal(0, table.ReplacementCount);
        Assert.False(table.Remove(Far(4).Id));
        Assert.Equal([Far(1), Far(3), Far(5)], table.GetAll());
    }

    [Fact]
    public void Observe_TakesReplacementIntoBucket_WhenRoomHasOpened()
    {
        var table = SmallTable(replacements: 0);
        for (uint i = 1; i <= 4; i++)
        {
            table.Observe(Far(i), Start);
        }

        Assert.Equal(0, table.ReplacementCount);
        table.Remove(Far(1).Id);

        Assert.Equal(AddContactStatus.Added, table.Observe(Far(4), Start.AddSeconds(1)).Status);
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void GetBuckets_ReportsFillDepthSelfAndLookups()
    {
        var table = SmallTable(k: 4);
        table.Observe(Far(1), Start);
        table.MarkLookup(Far(1).Id, Start.AddMinutes(1));

        var bucket = Assert.Single(table.GetBuckets());

        Assert.Equal(NodeId.Zero, bucket.Low);
        Assert.Equal(NodeId.Max, bucket.High);
        Assert.Equal(0, bucket.Depth);
        Assert.True(bucket.ContainsSelf);
        Assert.Equal(0.25, bucket.Fill);
        Assert.Equal(Start.AddMinutes(1), bucket.LastLookup);
        var contact = Assert.Single(bucket.Contacts);
        Assert.Equal(new ContactSnapshot(Far(1), Start, 0, false, null), contact);
    }
}

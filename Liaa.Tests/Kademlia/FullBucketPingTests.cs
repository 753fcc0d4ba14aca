using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class FullBucketPingTests
{
    // K = 2, no relaxation: [0010] fills with two contacts and cannot split (self is 0000).
    private static RoutingTable FullBucket(TimeSpan pingAfter, DateTimeOffset lastSeen)
    {
        var table = new RoutingTable(Exact("0000"), new KademliaOptions { K = 2, Alpha = 1, RelaxedSplitDepth = 1, FullBucketPingAfter = pingAfter });
        table.Observe(At(Exact("0010", 1), 1), lastSeen);
        table.Observe(At(Exact("0010", 2), 2), lastSeen.AddSeconds(1));
        return table;
    }

    [Fact]
    public void FullBucket_NamesItsOldestContactToPing_ByDefault_HoweverRecentlyItWasSeen()
    {
        var table = FullBucket(TimeSpan.Zero, Start);

        var result = table.Observe(At(Exact("0010", 3), 3), Start.AddSeconds(2));

        Assert.Equal(AddContactStatus.Full, result.Status);
        Assert.Equal(Exact("0010", 1), result.ContactToPing?.Id);
    }

    [Fact]
    public void FullBucket_PingsNobody_WhenItsOldestContactWasHeardFromWithinTheWindow()
    {
        var table = FullBucket(TimeSpan.FromMinutes(15), Start);

        var result = table.Observe(At(Exact("0010", 3), 3), Start.AddMinutes(14));

        Assert.Equal(AddContactStatus.Full, result.Status);
        Assert.Null(result.ContactToPing);
        Assert.Equal(1, table.ReplacementCount);
    }

    [Fact]
    public void FullBucket_PingsItsOldestContact_OnceTheWindowHasPassed()
    {
        var table = FullBucket(TimeSpan.FromMinutes(15), Start);

        var result = table.Observe(At(Exact("0010", 3), 3), Start.AddMinutes(15));

        Assert.Equal(AddContactStatus.Full, result.Status);
        Assert.Equal(Exact("0010", 1), result.ContactToPing?.Id);
    }

    [Fact]
    public void NegativeWindow_IsRefused()
    {
        var options = new KademliaOptions { FullBucketPingAfter = TimeSpan.FromSeconds(-1) };

        Assert.Contains(options.Validate(), problem => problem.Contains(nameof(KademliaOptions.FullBucketPingAfter), StringComparison.Ordinal));
    }
}

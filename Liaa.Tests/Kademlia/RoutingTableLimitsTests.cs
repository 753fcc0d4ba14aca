using System.Net;
using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

/// <summary>The routing table's defences: one id per endpoint, and per-network quotas per bucket and per table.</summary>
public sealed class RoutingTableLimitsTests
{
    // As in RoutingTableTests: every contact starts with 1, so they share the depth-1 bucket, which never splits.
    private static readonly NodeId Self = Exact("0", 7);

    private static RoutingTable Table(int k = 20, int perBucket = 2, int perTable = 10, int failures = 3) =>
        new(Self, new KademliaOptions
        {
            K = k,
            Alpha = 1,
            RelaxedSplitDepth = 1,
            FailuresBeforeEviction = failures,
            ReplacementCacheSize = 10,
            MaxContactsPerSubnetPerBucket = perBucket,
            MaxContactsPerSubnet = perTable,
        });

    private static Contact From(uint n, string address, int port = 8468) => new(Exact("1", n), new IPEndPoint(IPAddress.Parse(address), port));

    [Fact]
    public void Observe_RefusesAThirdContactOfOneSlash24InABucket_ButTakesOtherNetworks()
    {
        var table = Table();

        Assert.Equal(AddContactStatus.Added, table.Observe(From(1, "203.0.113.1"), Start).Status);
        Assert.Equal(AddContactStatus.Added, table.Observe(From(2, "203.0.113.2"), Start).Status);
        var third = table.Observe(From(3, "203.0.113.250"), Start);
        Assert.Equal(AddContactStatus.Added, table.Observe(From(4, "203.0.114.1"), Start).Status);

        Assert.Equal(new AddContactResult(AddContactStatus.Refused, Refusal: ContactRefusal.Subnet), third);
        Assert.Equal(3, table.Count);
        Assert.Equal(2, table.CountInNetwork(IPAddress.Parse("203.0.113.99")));
    }

    [Fact]
    public void Observe_RefusesBeyondTheTableQuota_WhateverTheBucket()
    {
        var table = Table(perBucket: 0, perTable: 3);
        var contacts = Enumerable.Range(0, 5).Select(i => new Contact(NodeId.Random(new Random(i)), new IPEndPoint(IPAddress.Parse($"198.51.100.{i + 1}"), 8468))).ToArray();

        var outcomes = contacts.Select(c => table.Observe(c, Start).Status).ToArray();

        Assert.Equal([AddContactStatus.Added, AddContactStatus.Added, AddContactStatus.Added, AddContactStatus.Refused, AddContactStatus.Refused], outcomes);
        Assert.True(table.Remove(contacts[0].Id));
        Assert.Equal(AddContactStatus.Added, table.Observe(contacts[4], Start).Status);
    }

    [Fact]
    public void Observe_CountsIPv6BySlash48()
    {
        var table = Table(perBucket: 1);

        Assert.Equal(AddContactStatus.Added, table.Observe(From(1, "2001:db8:1::1"), Start).Status);
        Assert.Equal(AddContactStatus.Refused, table.Observe(From(2, "2001:db8:1:ffff::2"), Start).Status);
        Assert.Equal(AddContactStatus.Added, table.Observe(From(3, "2001:db8:2::1"), Start).Status);
    }

    [Fact]
    public void Observe_ExemptsLoopback_SoALocalClusterFillsItsBuckets()
    {
        var table = Table(perBucket: 1, perTable: 1);

        var outcomes = Enumerable.Range(1, 20).Select(i => table.Observe(From((uint)i, "127.0.0.1", 10000 + i), Start).Status);

        Assert.All(outcomes, status => Assert.Equal(AddContactStatus.Added, status));
        Assert.Equal(20, table.Count);
    }

    [Fact]
    public void Observe_RefusesNewIdsAtATakenEndPoint_AndNamesTheHolderToPing()
    {
        var table = Table();
        var holder = From(1, "127.0.0.1", 4000);
        table.Observe(holder, Start);

        var flood = Enumerable.Range(2, 100).Select(i => table.Observe(From((uint)i, "127.0.0.1", 4000), Start)).ToArray();

        Assert.All(flood, outcome => Assert.Equal(new AddContactResult(AddContactStatus.Refused, holder, Refusal: ContactRefusal.EndPointTaken), outcome));
        Assert.Equal(1, table.Count);
        Assert.Equal(0, table.ReplacementCount);
    }

    [Fact]
    public void Observe_LetsANewIdTakeTheEndPoint_OnceTheHolderIsStale()
    {
        var table = Table(failures: 2);
        var holder = From(1, "127.0.0.1", 4000);
        var restarted = From(2, "127.0.0.1", 4000);
        table.Observe(holder, Start);
        table.RecordFailure(holder.Id, Start);
        table.RecordFailure(holder.Id, Start);

        Assert.Equal(AddContactStatus.Added, table.Observe(restarted, Start).Status);
        Assert.Equal([restarted], table.GetAll());
    }

    [Fact]
    public void KnownContact_CannotMoveToAnEndPointAnotherIdHolds()
    {
        var table = Table();
        var first = From(1, "127.0.0.1", 4000);
        var second = From(2, "127.0.0.1", 4001);
        table.Observe(first, Start);
        table.Observe(second, Start);

        var moved = table.Observe(new Contact(second.Id, first.EndPoint), Start);

        Assert.Equal(AddContactStatus.Refused, moved.Status);
        Assert.Equal(ContactRefusal.EndPointTaken, moved.Refusal);
        Assert.Equal(second, table.Get(second.Id));
    }

    [Fact]
    public void ReplacementCache_HoldsOneCandidatePerEndPoint_AndItsNetworkQuota()
    {
        var table = Table(k: 2);
        table.Observe(From(1, "127.0.0.1", 4001), Start);
        table.Observe(From(2, "127.0.0.1", 4002), Start);

        for (uint i = 10; i < 30; i++)
        {
            Assert.Equal(AddContactStatus.Full, table.Observe(From(i, "127.0.0.1", 5000), Start.AddSeconds(i)).Status);
        }

        table.Observe(From(40, "192.0.2.1"), Start);
        table.Observe(From(41, "192.0.2.2"), Start);
        var overQuota = table.Observe(From(42, "192.0.2.3"), Start);

        var candidates = table.GetBuckets().Single(b => b.Replacements.Count > 0).Replacements.Select(r => r.Contact).ToArray();
        Assert.Equal([From(29, "127.0.0.1", 5000), From(40, "192.0.2.1"), From(41, "192.0.2.2")], candidates);
        Assert.Equal(ContactRefusal.Subnet, overQuota.Refusal);
        Assert.Equal(3, table.ReplacementCount);
    }

    [Fact]
    public void Eviction_PromotesOnlyACandidateTheQuotasAdmit()
    {
        var table = Table(k: 2, perBucket: 1, failures: 1);
        var stale = From(1, "127.0.0.1", 4001);
        table.Observe(stale, Start);
        table.Observe(From(2, "192.0.2.1"), Start);
        table.Observe(From(3, "127.0.0.1", 4003), Start);
        table.Observe(From(4, "192.0.2.9"), Start.AddSeconds(1));

        // The newest candidate, From(4), would be a second 192.0.2.0/24 contact in the bucket: the next one is promoted.
        var failure = table.RecordFailure(stale.Id, Start.AddSeconds(2));

        Assert.Equal(FailureStatus.Evicted, failure.Status);
        Assert.Equal(From(3, "127.0.0.1", 4003), failure.Promoted);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.0/24")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.0/24")]
    [InlineData("2001:db8:abcd:12::1", "2001:0db8:abcd::/48")]
    public void NetworkPrefix_IsTheSlash24OrSlash48(string address, string expected) =>
        Assert.Equal(expected, NetworkPrefix.Of(IPAddress.Parse(address))?.ToString());

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("::1")]
    public void NetworkPrefix_IsNull_ForLoopback(string address) =>
        Assert.Null(NetworkPrefix.Of(IPAddress.Parse(address)));
}

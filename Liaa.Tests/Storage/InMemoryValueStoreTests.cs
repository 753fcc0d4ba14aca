using Liaa.Node.Kademlia;
using Liaa.Node.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Storage;

public sealed class InMemoryValueStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly NodeId KeyA = NodeId.FromKey("a");
    private static readonly NodeId KeyB = NodeId.FromKey("b");
    private static readonly NodeId KeyC = NodeId.FromKey("c");

    private readonly FakeTimeProvider _time = new(T0);

    private InMemoryValueStore Store(StorageOptions? options = null) => new(_time, options ?? new StorageOptions());

    private static StoreSender Sender(string address, bool hasPublicationTime) => new(System.Net.IPAddress.Parse(address), hasPublicationTime);

    private static StoredValue Get(InMemoryValueStore store, NodeId key)
    {
        Assert.True(store.TryGet(key, out var value));
        return value;
    }

    [Fact]
    public void TryGet_ReturnsFalse_OnceTtlHasElapsed()
    {
        var store = Store(new StorageOptions { Ttl = TimeSpan.FromHours(1), ReplicateInterval = TimeSpan.FromMinutes(10), RepublishInterval = TimeSpan.FromMinutes(50) });
        store.Put(KeyA, TestValues.Bytes(1, 2, 3), ValueOrigin.Own, T0);

        _time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(1));
        Assert.True(store.TryGet(KeyA, out _));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.False(store.TryGet(KeyA, out _));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Put_Stores_WithItsTimes()
    {
        var store = Store();
        _time.Advance(TimeSpan.FromMinutes(5));

        var result = store.Put(KeyA, TestValues.Bytes(7), ValueOrigin.Replicated, T0);

        Assert.Equal(new StoreResult(StoreStatus.Stored), result);
        Assert.Equal(
            new StoredValue(KeyA, TestValues.Bytes(7), ValueOrigin.Replicated, T0, T0.AddMinutes(5), T0.AddHours(24), null),
            Get(store, KeyA));
        Assert.Equal(3, Get(store, KeyA).Size);
    }

    [Fact]
    public void Put_RefusesValue_WhoseLifetimeHasEnded()
    {
        var store = Store();
        _time.Advance(TimeSpan.FromHours(25));

        var result = store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0);

        Assert.Equal(StoreStatus.Expired, result.Status);
        Assert.Equal("The value was published at 2025-01-01T00:00:00.0000000+00:00 and expired at 2025-01-02T00:00:00.0000000+00:00.", result.Reason);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Put_ClampsFuturePublication_ToNow()
    {
        var store = Store();

        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0.AddDays(30));

        Assert.Equal(T0, Get(store, KeyA).PublishedAt);
        Assert.Equal(T0.AddHours(24), Get(store, KeyA).ExpiresAt);
    }

    [Fact]
    public void Replication_RefreshesReceipt_ButNeverExtendsLife()
    {
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0);
        _time.Advance(TimeSpan.FromHours(12));

        var again = store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0);

        Assert.Equal(StoreStatus.Updated, again.Status);
        Assert.Equal(T0.AddHours(12), Get(store, KeyA).ReceivedAt);
        Assert.Equal(T0.AddHours(24), Get(store, KeyA).ExpiresAt);
        _time.Advance(TimeSpan.FromHours(12));
        Assert.False(store.TryGet(KeyA, out _));
    }

    [Fact]
    public void Put_KeepsNewerPublication_AndRefusesOlderWithReason()
    {
        var store = Store();
        _time.Advance(TimeSpan.FromHours(2));
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0.AddHours(1));

        var older = store.Put(KeyA, TestValues.Bytes(2), ValueOrigin.Replicated, T0);
        var sameTimeOtherValue = store.Put(KeyA, TestValues.Bytes(3), ValueOrigin.Replicated, T0.AddHours(1));
        var newer = store.Put(KeyA, TestValues.Bytes(4), ValueOrigin.Replicated, T0.AddHours(2));

        Assert.Equal(
            new StoreResult(StoreStatus.Stale, "The held copy was published later (2025-01-01T01:00:00.0000000+00:00) than this one (2025-01-01T00:00:00.0000000+00:00)."),
            older);
        Assert.Equal(StoreStatus.Stale, sameTimeOtherValue.Status);
        Assert.Equal(StoreStatus.Updated, newer.Status);
        Assert.Equal(TestValues.Bytes(4), Get(store, KeyA).Value);
        Assert.Equal(T0.AddHours(26), Get(store, KeyA).ExpiresAt);
    }

    [Fact]
    public void Put_NeverDowngradesOwnValue_ToCached()
    {
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Own, T0);
        _time.Advance(TimeSpan.FromHours(1));

        var sameValue = store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Cached, T0.AddHours(1), TimeSpan.FromMinutes(5));

        Assert.Equal(StoreStatus.Updated, sameValue.Status);
        Assert.Equal(
            new StoredValue(KeyA, TestValues.Bytes(1), ValueOrigin.Own, T0, T0.AddHours(1), T0.AddHours(24), null),
            Get(store, KeyA));

        // A newer, different publication supersedes ours: this node holds it but is no longer its publisher.
        var superseded = store.Put(KeyA, TestValues.Bytes(2), ValueOrigin.Cached, T0.AddHours(1), TimeSpan.FromMinutes(5));

        Assert.Equal(StoreStatus.Updated, superseded.Status);
        Assert.Equal(
            new StoredValue(KeyA, TestValues.Bytes(2), ValueOrigin.Replicated, T0.AddHours(1), T0.AddHours(1), T0.AddHours(25), null),
            Get(store, KeyA));
    }

    [Fact]
    public void Put_UpgradesCachedToReplicated_ButCacheStoreNeverShortensReplica()
    {
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Cached, T0, TimeSpan.FromMinutes(10));
        Assert.Equal(T0.AddMinutes(10), Get(store, KeyA).ExpiresAt);

        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0);
        Assert.Equal(ValueOrigin.Replicated, Get(store, KeyA).Origin);
        Assert.Equal(T0.AddHours(24), Get(store, KeyA).ExpiresAt);

        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Cached, T0, TimeSpan.FromMinutes(10));
        Assert.Equal(ValueOrigin.Replicated, Get(store, KeyA).Origin);
        Assert.Equal(T0.AddHours(24), Get(store, KeyA).ExpiresAt);
    }

    [Fact]
    public void Put_CacheTtl_NeverOutlivesOriginal()
    {
        var store = Store();
        _time.Advance(TimeSpan.FromHours(23));

        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Cached, T0, TimeSpan.FromHours(6));

        Assert.Equal(T0.AddHours(24), Get(store, KeyA).ExpiresAt);
    }

    [Fact]
    public void Put_LocalPutAlwaysWins()
    {
        var store = Store();
        _time.Advance(TimeSpan.FromHours(2));
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0.AddHours(2));

        var own = store.Put(KeyA, TestValues.Bytes(2), ValueOrigin.Own, T0.AddHours(1));

        Assert.Equal(StoreStatus.Updated, own.Status);
        Assert.Equal(ValueOrigin.Own, Get(store, KeyA).Origin);
        Assert.Equal(TestValues.Bytes(2), Get(store, KeyA).Value);
    }

    [Fact]
    public void Put_RefusesTooLargeValue_NamingTheLimit()
    {
        var store = Store(new StorageOptions { MaxValueBytes = 10 });

        Assert.Equal(StoreStatus.Stored, store.Put(KeyA, TestValues.OfLength(8), ValueOrigin.Own, T0).Status);
        var result = store.Put(KeyB, TestValues.OfLength(9), ValueOrigin.Own, T0);

        Assert.Equal(new StoreResult(StoreStatus.TooLarge, "Values are at most 10 bytes encoded (Liaa:Storage:MaxValueBytes); this one is 11, 9 raw bytes."), result);
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Put_RefusesBeyondKeyLimit_UnlessCachedValuesCanMakeRoom()
    {
        var store = Store(new StorageOptions { MaxKeys = 2 });
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0);
        store.Put(KeyB, TestValues.Bytes(2), ValueOrigin.Cached, T0, TimeSpan.FromHours(1));

        var cached = store.Put(KeyC, TestValues.Bytes(3), ValueOrigin.Cached, T0);
        Assert.Equal(new StoreResult(StoreStatus.KeyLimit, "2 keys are held; the limit is 2 (Liaa:Storage:MaxKeys)."), cached);

        var replicated = store.Put(KeyC, TestValues.Bytes(3), ValueOrigin.Replicated, T0);
        Assert.Equal(StoreStatus.Stored, replicated.Status);
        Assert.False(store.TryGet(KeyB, out _));
        Assert.Equal(1, store.GetStatistics().CachedEvictedForRoom);

        var full = store.Put(NodeId.FromKey("d"), TestValues.Bytes(4), ValueOrigin.Own, T0);
        Assert.Equal(StoreStatus.KeyLimit, full.Status);
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void Put_RefusesBeyondByteLimit_ForNewAndGrowingValues()
    {
        var store = Store(new StorageOptions { MaxValueBytes = 10, MaxTotalBytes = 25 });
        store.Put(KeyA, TestValues.OfLength(8), ValueOrigin.Own, T0);
        store.Put(KeyB, TestValues.OfLength(8), ValueOrigin.Own, T0);

        var third = store.Put(KeyC, TestValues.OfLength(4), ValueOrigin.Own, T0);
        Assert.Equal(new StoreResult(StoreStatus.ByteLimit, "20 bytes are held and 6 more would pass the limit of 25 (Liaa:Storage:MaxTotalBytes)."), third);

        Assert.Equal(StoreStatus.Stored, store.Put(KeyC, TestValues.OfLength(3), ValueOrigin.Own, T0).Status);
        _time.Advance(TimeSpan.FromMinutes(1));
        var growing = store.Put(KeyC, TestValues.OfLength(4), ValueOrigin.Own, T0.AddMinutes(1));
        Assert.Equal(StoreStatus.ByteLimit, growing.Status);
        Assert.Equal(25, store.GetStatistics().Bytes);
    }

    [Fact]
    public void StoreWithoutPublicationTime_NeverReplacesAnOwnValue_NorMakesItReplicated()
    {
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Own, T0);
        _time.Advance(TimeSpan.FromMinutes(1));

        var python = store.Put(KeyA, TestValues.Bytes(2), ValueOrigin.Replicated, _time.GetUtcNow(), sender: Sender("10.0.0.1", hasPublicationTime: false));

        Assert.Equal(StoreStatus.Stale, python.Status);
        Assert.Equal((TestValues.Bytes(1), ValueOrigin.Own, T0), (Get(store, KeyA).Value, Get(store, KeyA).Origin, Get(store, KeyA).PublishedAt));

        // A Liaa peer's newer publication still wins (last writer wins, README "Partitions"): this node stops republishing.
        var liaa = store.Put(KeyA, TestValues.Bytes(3), ValueOrigin.Replicated, _time.GetUtcNow(), sender: Sender("10.0.0.1", hasPublicationTime: true));
        Assert.Equal(StoreStatus.Updated, liaa.Status);
        Assert.Equal(ValueOrigin.Replicated, Get(store, KeyA).Origin);
    }

    [Fact]
    public void CacheStore_OnAReplica_LeavesItsReceivedTime_SoItsReplicationStaysDue()
    {
        var hour = TimeSpan.FromHours(1);
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Replicated, T0);
        _time.Advance(hour);

        Assert.Equal(StoreStatus.Updated, store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Cached, T0, TimeSpan.FromMinutes(5)).Status);

        Assert.Equal((T0, ValueOrigin.Replicated), (Get(store, KeyA).ReceivedAt, Get(store, KeyA).Origin));
        Assert.Equal([KeyA], store.GetDueForReplication(hour).Select(v => v.Key));
    }

    [Fact]
    public void SenderLimits_CountEveryPortOfAnAddress_AndItsNetwork_ButLoopbackOnlyByAddress()
    {
        var store = Store(new StorageOptions { MaxBytesPerSource = 30, MaxKeysPerSource = 3, MaxBytesPerNetwork = 50, MaxKeysPerNetwork = 100 });
        StoreResult Put(string address, int i, int length) =>
            store.Put(NodeId.FromKey($"{address} {i}"), TestValues.OfLength(length), ValueOrigin.Replicated, T0, sender: Sender(address, hasPublicationTime: false));

        Assert.Equal(StoreStatus.Stored, Put("10.0.0.1", 0, 13).Status);
        Assert.Equal(StoreStatus.Stored, Put("10.0.0.1", 1, 13).Status);
        var third = Put("10.0.0.1", 2, 13);
        Assert.Equal(StoreStatus.SourceLimit, third.Status);
        Assert.Contains("Liaa:Storage:MaxKeysPerSource, MaxBytesPerSource", third.Reason, StringComparison.Ordinal);
        Assert.Equal(StoreStatus.Stored, Put("10.0.0.2", 0, 13).Status);
        Assert.Equal(StoreStatus.SourceLimit, Put("10.0.0.3", 0, 13).Status);
        Assert.Equal(StoreStatus.Stored, Put("10.0.1.1", 0, 13).Status);

        // Replacing a sender's own value with a smaller one always fits; a third key does not (keys per address).
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(StoreStatus.Updated, store.Put(NodeId.FromKey("10.0.0.1 0"), TestValues.OfLength(1), ValueOrigin.Replicated, T0.AddTicks(1), sender: Sender("10.0.0.1", false)).Status);
        Assert.Equal(StoreStatus.Stored, Put("10.0.0.1", 2, 1).Status);
        Assert.Equal(StoreStatus.SourceLimit, Put("10.0.0.1", 3, 1).Status);

        // Loopback: one address is one sender, but many local nodes are not one network.
        Assert.Equal(StoreStatus.Stored, Put("127.0.0.1", 0, 13).Status);
        Assert.Equal(StoreStatus.Stored, Put("127.0.0.1", 1, 13).Status);
        Assert.Equal(StoreStatus.SourceLimit, Put("127.0.0.1", 2, 13).Status);
        Assert.Equal(StoreStatus.Stored, Put("127.0.0.2", 0, 13).Status);
        Assert.Equal(StoreStatus.Stored, Put("127.0.0.3", 0, 13).Status);
    }

    [Fact]
    public void OwnPut_MakesRoom_FromTheSenderHoldingMost_AndOthersNeverPushOutOwnValues()
    {
        var store = Store(new StorageOptions { MaxValueBytes = 10, MaxTotalBytes = 40 });
        store.Put(KeyA, TestValues.OfLength(8), ValueOrigin.Own, T0);
        store.Put(NodeId.FromKey("big 1"), TestValues.OfLength(8), ValueOrigin.Replicated, T0, sender: Sender("10.0.0.1", true));
        store.Put(NodeId.FromKey("big 2"), TestValues.OfLength(8), ValueOrigin.Replicated, T0, sender: Sender("10.0.0.1", true));
        store.Put(NodeId.FromKey("small"), TestValues.OfLength(8), ValueOrigin.Replicated, T0, sender: Sender("10.9.0.1", true));

        Assert.Equal(StoreStatus.ByteLimit, store.Put(KeyB, TestValues.OfLength(8), ValueOrigin.Replicated, T0, sender: Sender("10.9.0.1", true)).Status);
        Assert.Equal(StoreStatus.Stored, store.Put(KeyB, TestValues.OfLength(8), ValueOrigin.Own, T0).Status);

        Assert.Equal(1, store.EvictedForOwn);
        Assert.Single(new[] { "big 1", "big 2" }, k => store.TryGet(NodeId.FromKey(k), out _));
        Assert.True(store.TryGet(NodeId.FromKey("small"), out _));
        Assert.True(store.TryGet(KeyA, out _));
    }

    [Fact]
    public void GetDueForReplication_SkipsValuesReceivedWithinInterval_AndCachedOnes()
    {
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Own, T0);
        store.Put(KeyB, TestValues.Bytes(2), ValueOrigin.Replicated, T0);
        store.Put(KeyC, TestValues.Bytes(3), ValueOrigin.Cached, T0);
        var hour = TimeSpan.FromHours(1);

        _time.Advance(TimeSpan.FromMinutes(30));
        store.Put(KeyB, TestValues.Bytes(2), ValueOrigin.Replicated, T0);
        _time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromTicks(1));
        Assert.Empty(store.GetDueForReplication(hour));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([KeyA], store.GetDueForReplication(hour).Select(v => v.Key));
        Assert.True(store.MarkReplicated(KeyA));
        Assert.Equal(T0.AddHours(1), Get(store, KeyA).LastReplicatedAt);
        Assert.Empty(store.GetDueForReplication(hour));

        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal([KeyB], store.GetDueForReplication(hour).Select(v => v.Key));
        Assert.Equal(T0.AddHours(24), Get(store, KeyB).ExpiresAt);
        Assert.False(store.MarkReplicated(NodeId.FromKey("absent")));
    }

    [Fact]
    public void Republish_RenewsOwnValuesOnly_AndExtendsTheirLife()
    {
        var store = Store();
        store.Put(KeyA, TestValues.Bytes(1), ValueOrigin.Own, T0);
        store.Put(KeyB, TestValues.Bytes(2), ValueOrigin.Replicated, T0);
        var interval = new StorageOptions().RepublishInterval;

        _time.Advance(interval - TimeSpan.FromTicks(1));
        Assert.Empty(store.GetOwnDueForRepublish(interval));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([KeyA], store.GetOwnDueForRepublish(interval).Select(v => v.Key));

        Assert.True(store.MarkRepublished(KeyA));
        Assert.False(store.MarkRepublished(KeyB));
        Assert.Equal(
            new StoredValue(KeyA, TestValues.Bytes(1), ValueOrigin.Own, T0.AddHours(23), T0.AddHours(23), T0.AddHours(47), T0.AddHours(23)),
            Get(store, KeyA));
        Assert.Empty(store.GetOwnDueForRepublish(interval));

        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(store.TryGet(KeyA, out _));
        Assert.False(store.TryGet(KeyB, out _));
    }

    [Fact]
    public void RemoveExpired_RemovesOnlyExpired_AndStatisticsFollow()
    {
        var store = Store();
        store.Put(KeyA, TestValues.OfLength(10), ValueOrigin.Own, T0);
        store.Put(KeyB, TestValues.OfLength(20), ValueOrigin.Replicated, T0);
        store.Put(KeyC, TestValues.OfLength(30), ValueOrigin.Cached, T0, TimeSpan.FromHours(1));
        Assert.Equal(
            new StorageStatistics(3, 66, new OriginStatistics(1, 12), new OriginStatistics(1, 22), new OriginStatistics(1, 32), 0, 100_000, 256L * 1024 * 1024),
            store.GetStatistics());

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal([KeyA, KeyB], store.GetAll().Select(v => v.Key).Order());
        Assert.Equal(3, store.Count);

        Assert.Equal(1, store.RemoveExpired());
        Assert.Equal(0, store.RemoveExpired());
        Assert.Equal(new OriginStatistics(0, 0), store.GetStatistics().Cached);
        Assert.Equal(34, store.GetStatistics().Bytes);
        Assert.True(store.Remove(KeyA));
        Assert.False(store.Remove(KeyA));
        Assert.Equal(new OriginStatistics(0, 0), store.GetStatistics().Own);
    }

    [Fact]
    public async Task Put_IsThreadSafe_UnderConcurrentWriters()
    {
        var store = Store();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(
            () =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    store.Put(NodeId.FromKey($"{w}/{i}"), TestValues.OfLength(5), ValueOrigin.Replicated, T0);
                    store.TryGet(NodeId.FromKey($"{w}/{i / 2}"), out _);
                }
            },
            TestContext.Current.CancellationToken));

        await Task.WhenAll(writers);

        Assert.Equal(4000, store.Count);
        Assert.Equal(new OriginStatistics(4000, 4000 * 7), store.GetStatistics().Replicated);
    }
}

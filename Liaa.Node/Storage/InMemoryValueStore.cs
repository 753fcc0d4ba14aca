using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Storage;

/// <summary>
/// The values a node holds, in memory: one dictionary of compact struct entries (times as UTC ticks), so a
/// million 100-byte values cost about 300 bytes each all told. Thread-safe through one lock.
/// </summary>
/// <remarks>
/// <para>
/// Lifetime. A value expires <see cref="StorageOptions.Ttl"/> after its publication time, which travels
/// with the value between Liaa nodes: replication refreshes <see cref="StoredValue.ReceivedAt"/> but not the
/// expiry, so two holders cannot keep a value alive forever; only the publisher's republish (a newer
/// publication time) extends it. A publication time in the future is clamped to now, so a peer's fast clock
/// can neither lengthen a value's life nor win precedence. An expired value is absent from every read.
/// </para>
/// <para>
/// Precedence, for a key already held:
/// a local put (<see cref="ValueOrigin.Own"/>) always wins;
/// otherwise a store published before the held copy, or at the same time with another value, is refused
/// (<see cref="StoreStatus.Stale"/>): the newer publication wins whatever the origins.
/// The resulting origin is the highest of held and incoming (Own, then Replicated, then Cached), so a cache
/// store never downgrades an own or replicated value and a STORE upgrades a cached one; except that an own
/// value superseded by a newer, different value becomes Replicated: its publisher is someone else now and
/// this node must stop republishing the old one. An own value re-stored with the same value keeps its own
/// publication time (this node renews it). A cache TTL (<c>ttlOverride</c>) applies only when the store
/// decides the entry's origin: a cache store landing on a replica does not shorten it.
/// </para>
/// <para>
/// Limits. A value over <see cref="StorageOptions.MaxValueBytes"/> is refused. When <see cref="StorageOptions.MaxKeys"/>
/// or <see cref="StorageOptions.MaxTotalBytes"/> would be exceeded, cached values (expendable by nature)
/// are dropped to make room for an own or replicated value; otherwise the store is refused with the limit
/// named. Bytes are the encoded value's.
/// </para>
/// <para>
/// Senders. A STORE's source address (<see cref="StoreSender"/>; every port of it) may hold at most
/// <see cref="StorageOptions.MaxBytesPerSource"/> bytes and <see cref="StorageOptions.MaxKeysPerSource"/> keys,
/// and its /24 or /48 (loopback exempt) <see cref="StorageOptions.MaxBytesPerNetwork"/> and
/// <see cref="StorageOptions.MaxKeysPerNetwork"/>: beyond, <see cref="StoreStatus.SourceLimit"/>. Own values count
/// for no sender, and nothing from others ever pushes one out; when the store is full, an own put makes room by
/// dropping cached values first, then values of the sender holding the most bytes. A STORE without a publication
/// time (a Python peer's) never replaces an own value with another: it cannot show it is newer. A cache store
/// landing on a replica does not count as receiving it (it would put off that replica's replication).
/// </para>
/// <para>
/// Persistence. With an <see cref="IValueJournal"/> every new value, changed value, republish and removal
/// is recorded under the lock, in order; <see cref="WhenDurableAsync"/> waits until what was recorded is on
/// disk, and callers acknowledge a STORE or return from a put only after it. Not journaled, because losing
/// them costs nothing but an early replication: a replication mark, and the reception time refreshed when
/// an own value comes back from another node.
/// </para>
/// </remarks>
internal sealed partial class InMemoryValueStore : IValueStore
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly StorageOptions _options;
    private readonly Dictionary<NodeId, Entry> _entries = [];
    private readonly HashSet<NodeId> _cachedKeys = [];
    private readonly IValueJournal? _journal;
    private readonly int[] _keysByOrigin = new int[3];
    private readonly long[] _bytesByOrigin = new long[3];
    private readonly Dictionary<IPAddress, SourceUsage> _bySource = [];
    private readonly Dictionary<NetworkPrefix, NetworkUsage> _byNetwork = [];
    private long _totalBytes;
    private long _cachedEvicted;
    private long _evictedForOwn;

    public InMemoryValueStore(TimeProvider time, StorageOptions options, IValueJournal? journal = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid storage options: " + string.Join(" ", problems), nameof(options));
        }

        _time = time;
        _options = options;
        _journal = journal;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Values of other senders dropped to make room for an own put (the store was full of them).</summary>
    public long EvictedForOwn
    {
        get
        {
            lock (_gate)
            {
                return _evictedForOwn;
            }
        }
    }

    public StoreResult Put(NodeId key, DhtValue value, ValueOrigin origin, DateTimeOffset publishedAt, TimeSpan? ttlOverride = null, StoreSender? sender = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        var now = _time.GetUtcNow();
        var size = value.Encoded.Length;
        if (size > _options.MaxValueBytes)
        {
            return new StoreResult(StoreStatus.TooLarge, _options.DescribeTooLarge(value));
        }

        if (publishedAt > now)
        {
            publishedAt = now;
        }

        var standardExpiry = publishedAt + _options.Ttl;
        var expiresAt = ttlOverride is { } ttl && now + ttl < standardExpiry ? now + ttl : standardExpiry;
        if (expiresAt <= now)
        {
            return new StoreResult(StoreStatus.Expired, $"The value was published at {publishedAt:O} and expired at {expiresAt:O}.");
        }

        lock (_gate)
        {
            ref var held = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (!Unsafe.IsNullRef(ref held) && held.ExpiresTicks <= now.UtcTicks)
            {
                RemoveEntry(key);
                held = ref Unsafe.NullRef<Entry>();
            }

            return Unsafe.IsNullRef(ref held)
                ? Insert(key, value, origin, publishedAt, expiresAt, now, sender)
                : Update(key, ref held, value, origin, publishedAt, expiresAt, standardExpiry, now, sender);
        }
    }

    public bool TryGet(NodeId key, [MaybeNullWhen(false)] out StoredValue value)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.ExpiresTicks > now.UtcTicks)
                {
                    value = entry.ToStoredValue(key);
                    return true;
                }

                RemoveEntry(key);
            }

            value = null;
            return false;
        }
    }

    public bool Remove(NodeId key)
    {
        lock (_gate)
        {
            return RemoveEntry(key);
        }
    }

    public IReadOnlyList<StoredValue> GetDueForReplication(TimeSpan interval)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var due = now - interval.Ticks;
        lock (_gate)
        {
            var values = new List<StoredValue>();
            foreach (var (key, entry) in _entries)
            {
                if (entry.Origin != ValueOrigin.Cached && entry.ExpiresTicks > now
                    && Math.Max(entry.ReceivedTicks, entry.ReplicatedTicks) <= due)
                {
                    values.Add(entry.ToStoredValue(key));
                }
            }

            return values;
        }
    }

    public IReadOnlyList<StoredValue> GetOwnDueForRepublish(TimeSpan interval)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var due = now - interval.Ticks;
        lock (_gate)
        {
            var values = new List<StoredValue>();
            foreach (var (key, entry) in _entries)
            {
                if (entry.Origin == ValueOrigin.Own && entry.ExpiresTicks > now && entry.PublishedTicks <= due)
                {
                    values.Add(entry.ToStoredValue(key));
                }
            }

            return values;
        }
    }

    public bool MarkReplicated(NodeId key)
    {
        var now = _time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (Unsafe.IsNullRef(ref entry) || entry.ExpiresTicks <= now)
            {
                return false;
            }

            entry.ReplicatedTicks = now;
            return true;
        }
    }

    public bool MarkRepublished(NodeId key)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (Unsafe.IsNullRef(ref entry) || entry.Origin != ValueOrigin.Own || entry.ExpiresTicks <= now.UtcTicks)
            {
                return false;
            }

            entry.PublishedTicks = now.UtcTicks;
            entry.ReceivedTicks = now.UtcTicks;
            entry.ReplicatedTicks = now.UtcTicks;
            entry.ExpiresTicks = (now + _options.Ttl).UtcTicks;
            Journal(key, entry);
            return true;
        }
    }

    public int RemoveExpired()
    {
        var now = _time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            var expired = new List<NodeId>();
            foreach (var (key, entry) in _entries)
            {
                if (entry.ExpiresTicks <= now)
                {
                    expired.Add(key);
                }
            }

            foreach (var key in expired)
            {
                RemoveEntry(key);
            }

            return expired.Count;
        }
    }

    public StorageStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new StorageStatistics(
                _entries.Count,
                _totalBytes,
                Statistics(ValueOrigin.Own),
                Statistics(ValueOrigin.Replicated),
                Statistics(ValueOrigin.Cached),
                _cachedEvicted,
                _options.MaxKeys,
                _options.MaxTotalBytes);
        }

        OriginStatistics Statistics(ValueOrigin origin) => new(_keysByOrigin[(int)origin], _bytesByOrigin[(int)origin]);
    }

    public IReadOnlyList<StoredValue> GetAll()
    {
        var now = _time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            return LiveValues(now);
        }
    }

    /// <summary>Every value that has not expired at <paramref name="now"/> (UTC ticks). Under the lock.</summary>
    private List<StoredValue> LiveValues(long now)
    {
        var values = new List<StoredValue>(_entries.Count);
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresTicks > now)
            {
                values.Add(entry.ToStoredValue(key));
            }
        }

        return values;
    }

    private bool RemoveEntry(NodeId key)
    {
        if (!_entries.Remove(key, out var entry))
        {
            return false;
        }

        Tally(key, entry, -1);
        _journal?.Removed(key);
        return true;
    }

    private void Journal(NodeId key, in Entry entry) =>
        _journal?.Written(key, entry.Value, entry.Origin, entry.PublishedTicks, entry.ReceivedTicks, entry.ExpiresTicks);

    private void Tally(NodeId key, in Entry entry, int sign)
    {
        var size = entry.Value.Encoded.Length;
        _keysByOrigin[(int)entry.Origin] += sign;
        _bytesByOrigin[(int)entry.Origin] += sign * size;
        _totalBytes += sign * size;
        if (entry.Origin == ValueOrigin.Cached)
        {
            if (sign > 0)
            {
                _cachedKeys.Add(key);
            }
            else
            {
                _cachedKeys.Remove(key);
            }
        }

        if (entry.Source is { } source)
        {
            TallySource(source, size, sign);
        }
    }

    private void TallySource(IPAddress source, int size, int sign)
    {
        if (!_bySource.TryGetValue(source, out var usage))
        {
            usage = new SourceUsage();
            _bySource.Add(source, usage);
        }

        usage.Bytes += sign * size;
        usage.Keys += sign;
        if (usage.Keys == 0)
        {
            _bySource.Remove(source);
        }

        if (NetworkPrefix.Of(source) is { } network)
        {
            ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(_byNetwork, network, out _);
            held.Bytes += sign * size;
            held.Keys += sign;
            if (held.Keys == 0)
            {
                _byNetwork.Remove(network);
            }
        }
    }

    /// <summary>
    /// How many keys and bytes are held for one sender address: counts, not the set of its keys (a set duplicated every
    /// key held: +65 MB at 1,000,000 values from one sender, BENCHMARKS.md "bench memory"). Which keys are a sender's is
    /// in <see cref="Entry.Source"/>; only an own put on a full store looks for them.
    /// </summary>
    private sealed class SourceUsage
    {
        public long Bytes;

        public int Keys;
    }

    private struct NetworkUsage
    {
        public long Bytes;
        public int Keys;
    }

    /// <summary>One held value: 8 bytes of reference, four tick counts, the origin and who sent it.</summary>
    private struct Entry
    {
        public DhtValue Value;
        public IPAddress? Source; // null: own, restored from disk, or stored without a sender
        public long PublishedTicks;
        public long ReceivedTicks;
        public long ExpiresTicks;
        public long ReplicatedTicks; // 0: never
        public ValueOrigin Origin;

        public readonly StoredValue ToStoredValue(NodeId key) => new(
            key,
            Value,
            Origin,
            new DateTimeOffset(PublishedTicks, TimeSpan.Zero),
            new DateTimeOffset(ReceivedTicks, TimeSpan.Zero),
            new DateTimeOffset(ExpiresTicks, TimeSpan.Zero),
            ReplicatedTicks == 0 ? null : new DateTimeOffset(ReplicatedTicks, TimeSpan.Zero));
    }
}

using System.Net;
using System.Runtime.InteropServices;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Storage;

/// <summary>The write side of the store: new keys, precedence between copies of one key, and room under the limits.</summary>
internal sealed partial class InMemoryValueStore
{
    private StoreResult Insert(NodeId key, DhtValue value, ValueOrigin origin, DateTimeOffset publishedAt, DateTimeOffset expiresAt, DateTimeOffset now, StoreSender? sender)
    {
        var size = value.Encoded.Length;
        if (sender is not null && SenderRefusal(sender.Address, size, null, 0) is { } refused)
        {
            return refused;
        }

        if (_entries.Count >= _options.MaxKeys && !MakeRoom(key, origin, keys: 1, bytes: 0))
        {
            return new StoreResult(StoreStatus.KeyLimit, $"{_entries.Count} keys are held; the limit is {_options.MaxKeys} ({StorageOptions.SectionName}:{nameof(StorageOptions.MaxKeys)}).");
        }

        if (_totalBytes + size > _options.MaxTotalBytes && !MakeRoom(key, origin, keys: 0, bytes: size))
        {
            return ByteLimit(size);
        }

        var entry = new Entry
        {
            Value = value,
            Origin = origin,
            PublishedTicks = publishedAt.UtcTicks,
            ReceivedTicks = now.UtcTicks,
            ExpiresTicks = expiresAt.UtcTicks,
            Source = sender?.Address,
        };
        _entries.Add(key, entry);
        Tally(key, entry, +1);
        Journal(key, entry);
        return new StoreResult(StoreStatus.Stored);
    }

    private StoreResult Update(
        NodeId key, ref Entry held, DhtValue value, ValueOrigin origin, DateTimeOffset publishedAt, DateTimeOffset expiresAt, DateTimeOffset standardExpiry, DateTimeOffset now, StoreSender? sender)
    {
        var sameValue = held.Value.Equals(value);

        // A cache store is not a replica arriving: it must not put off a replica's replication.
        var received = origin == ValueOrigin.Cached && held.Origin == ValueOrigin.Replicated ? held.ReceivedTicks : now.UtcTicks;
        if (held.Origin == ValueOrigin.Own && origin != ValueOrigin.Own && !sameValue && sender is { HasPublicationTime: false })
        {
            return new StoreResult(StoreStatus.Stale, "The held copy is this node's own publication, and a store without a publication time cannot show that it is newer.");
        }

        if (origin != ValueOrigin.Own)
        {
            if (publishedAt.UtcTicks < held.PublishedTicks)
            {
                return new StoreResult(StoreStatus.Stale, $"The held copy was published later ({new DateTimeOffset(held.PublishedTicks, TimeSpan.Zero):O}) than this one ({publishedAt:O}).");
            }

            if (publishedAt.UtcTicks == held.PublishedTicks && !sameValue)
            {
                return new StoreResult(StoreStatus.Stale, $"The held copy has the same publication time ({publishedAt:O}) and another value: the first one stored is kept.");
            }
        }

        if (held.Origin == ValueOrigin.Own && origin != ValueOrigin.Own && sameValue)
        {
            // Our own value came back (a replica of it, or a cache store): we stay its publisher and renew it ourselves.
            held.ReceivedTicks = now.UtcTicks;
            return new StoreResult(StoreStatus.Updated);
        }

        var resulting = origin == ValueOrigin.Own ? ValueOrigin.Own
            : held.Origin == ValueOrigin.Own ? ValueOrigin.Replicated
            : (ValueOrigin)Math.Min((int)held.Origin, (int)origin);
        if (resulting != ValueOrigin.Own && sender is not null && SenderRefusal(sender.Address, value.Encoded.Length, held.Source, held.Value.Encoded.Length) is { } refused)
        {
            return refused;
        }

        var sizeDelta = value.Encoded.Length - held.Value.Encoded.Length;
        if (sizeDelta > 0 && _totalBytes + sizeDelta > _options.MaxTotalBytes)
        {
            if (!MakeRoom(key, resulting, keys: 0, bytes: sizeDelta))
            {
                return ByteLimit(sizeDelta);
            }

            // Making room changed the dictionary: the reference may be stale.
            held = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
        }

        Tally(key, held, -1);
        held.Value = value;
        held.Origin = resulting;
        held.PublishedTicks = publishedAt.UtcTicks;
        held.ReceivedTicks = received;
        held.ExpiresTicks = (resulting == origin ? expiresAt : standardExpiry).UtcTicks;
        held.Source = resulting == ValueOrigin.Own ? null : sender?.Address ?? held.Source;
        Tally(key, held, +1);
        Journal(key, held);
        return new StoreResult(StoreStatus.Updated);
    }

    private StoreResult ByteLimit(long size) =>
        new(StoreStatus.ByteLimit, $"{_totalBytes} bytes are held and {size} more would pass the limit of {_options.MaxTotalBytes} ({StorageOptions.SectionName}:{nameof(StorageOptions.MaxTotalBytes)}).");

    /// <summary>
    /// Whether <paramref name="source"/> (and its network) may hold <paramref name="size"/> more bytes, taking back
    /// what it or its network held for the key already (<paramref name="heldSource"/>, <paramref name="heldSize"/>);
    /// the refusal when not.
    /// </summary>
    private StoreResult? SenderRefusal(IPAddress source, int size, IPAddress? heldSource, int heldSize)
    {
        var sameSource = source.Equals(heldSource);
        var bytes = size - (sameSource ? heldSize : 0);
        var keys = sameSource ? 0 : 1;
        var usage = _bySource.GetValueOrDefault(source);
        if (Exceeds(usage?.Bytes ?? 0, bytes, _options.MaxBytesPerSource) || Exceeds(usage?.Keys ?? 0, keys, _options.MaxKeysPerSource))
        {
            return new StoreResult(StoreStatus.SourceLimit, $"{source} holds {usage?.Keys ?? 0} keys and {usage?.Bytes ?? 0} bytes here; the limits are {_options.MaxKeysPerSource} keys and {_options.MaxBytesPerSource} bytes per address ({StorageOptions.SectionName}:{nameof(StorageOptions.MaxKeysPerSource)}, {nameof(StorageOptions.MaxBytesPerSource)}).");
        }

        if (NetworkPrefix.Of(source) is not { } network)
        {
            return null;
        }

        var sameNetwork = heldSource is not null && NetworkPrefix.Of(heldSource) == network;
        var held = _byNetwork.GetValueOrDefault(network);
        if (Exceeds(held.Bytes, size - (sameNetwork ? heldSize : 0), _options.MaxBytesPerNetwork) || Exceeds(held.Keys, sameNetwork ? 0 : 1, _options.MaxKeysPerNetwork))
        {
            return new StoreResult(StoreStatus.SourceLimit, $"{network} holds {held.Keys} keys and {held.Bytes} bytes here; the limits are {_options.MaxKeysPerNetwork} keys and {_options.MaxBytesPerNetwork} bytes per network ({StorageOptions.SectionName}:{nameof(StorageOptions.MaxKeysPerNetwork)}, {nameof(StorageOptions.MaxBytesPerNetwork)}).");
        }

        return null;

        static bool Exceeds(long held, long more, long limit) => limit > 0 && more > 0 && held + more > limit;
    }

    /// <summary>
    /// Drops cached values (never <paramref name="key"/>) until the store has room, when the incoming value is not
    /// itself a cache; for an own value, then values of the sender holding the most bytes (own values never go).
    /// </summary>
    private bool MakeRoom(NodeId key, ValueOrigin origin, int keys, long bytes)
    {
        if (origin == ValueOrigin.Cached)
        {
            return false;
        }

        while (_entries.Count + keys > _options.MaxKeys || _totalBytes + bytes > _options.MaxTotalBytes)
        {
            var victim = default(NodeId?);
            foreach (var cached in _cachedKeys)
            {
                if (cached != key)
                {
                    victim = cached;
                    break;
                }
            }

            if (victim is { } evict)
            {
                _cachedEvicted++;
            }
            else if (origin == ValueOrigin.Own && FromLargestSender(key) is { } foreign)
            {
                evict = foreign;
                _evictedForOwn++;
            }
            else
            {
                return false;
            }

            RemoveEntry(evict);
        }

        return true;
    }

    /// <summary>
    /// A key (not <paramref name="key"/>) of the sender holding the most bytes; null when no sender holds any other. Scans
    /// the entries once at most (only an own put on a full store gets here): a sender whose one key is
    /// <paramref name="key"/> is passed over by its count, and any other sender holds a key the scan finds.
    /// </summary>
    private NodeId? FromLargestSender(NodeId key)
    {
        var keySource = _entries.TryGetValue(key, out var current) ? current.Source : null;
        foreach (var (source, usage) in _bySource.OrderByDescending(pair => pair.Value.Bytes))
        {
            if (usage.Keys == 1 && source.Equals(keySource))
            {
                continue;
            }

            foreach (var (held, entry) in _entries)
            {
                if (held != key && source.Equals(entry.Source))
                {
                    return held;
                }
            }
        }

        return null;
    }
}

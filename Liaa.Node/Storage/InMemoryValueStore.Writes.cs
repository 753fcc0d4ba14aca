using System.Runtime.InteropServices;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node.Storage;

/// <summary>The write side of the store: new keys, precedence between copies of one key, and room under the limits.</summary>
internal sealed partial class InMemoryValueStore
{
    private StoreResult Insert(NodeId key, DhtValue value, ValueOrigin origin, DateTimeOffset publishedAt, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var size = value.Encoded.Length;
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
        };
        _entries.Add(key, entry);
        Tally(key, entry, +1);
        Journal(key, entry);
        return new StoreResult(StoreStatus.Stored);
    }

    private StoreResult Update(
        NodeId key, ref Entry held, DhtValue value, ValueOrigin origin, DateTimeOffset publishedAt, DateTimeOffset expiresAt, DateTimeOffset standardExpiry, DateTimeOffset now)
    {
        var sameValue = held.Value.Equals(value);
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
        held.ReceivedTicks = now.UtcTicks;
        held.ExpiresTicks = (resulting == origin ? expiresAt : standardExpiry).UtcTicks;
        Tally(key, held, +1);
        Journal(key, held);
        return new StoreResult(StoreStatus.Updated);
    }

    private StoreResult ByteLimit(long size) =>
        new(StoreStatus.ByteLimit, $"{_totalBytes} bytes are held and {size} more would pass the limit of {_options.MaxTotalBytes} ({StorageOptions.SectionName}:{nameof(StorageOptions.MaxTotalBytes)}).");

    /// <summary>Drops cached values (never <paramref name="key"/>) until the store has room, when the incoming value is not itself a cache.</summary>
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

            if (victim is not { } evict)
            {
                return false;
            }

            RemoveEntry(evict);
            _cachedEvicted++;
        }

        return true;
    }
}

using System.Diagnostics.CodeAnalysis;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Storage;

/// <summary>
/// The values a node holds, with the times replication, republish and expiry need. Pure bookkeeping: it
/// sends nothing; the node's services ask it what is due and tell it what they did. Thread-safe.
/// </summary>
internal interface IValueStore
{
    /// <summary>Number of held keys (expired ones not yet removed included).</summary>
    int Count { get; }

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/>, subject to limits and precedence; see
    /// <see cref="InMemoryValueStore"/> for the rules.
    /// </summary>
    /// <param name="key">The key as is.</param>
    /// <param name="value">The value.</param>
    /// <param name="origin">Why it is stored: a local put, a STORE, or a lookup's cache store.</param>
    /// <param name="publishedAt">The original publication time (the STORE's, between Liaa nodes; now, from a Python peer).</param>
    /// <param name="ttlOverride">A lifetime from now instead of the standard one (a §2.3 cache TTL); never beyond <paramref name="publishedAt"/> + TTL.</param>
    /// <param name="sender">Who sent a STORE (its address counts against the per-sender limits); null for a local put.</param>
    StoreResult Put(NodeId key, DhtValue value, ValueOrigin origin, DateTimeOffset publishedAt, TimeSpan? ttlOverride = null, StoreSender? sender = null);

    /// <summary>The value held under <paramref name="key"/>; an expired value is absent.</summary>
    bool TryGet(NodeId key, [MaybeNullWhen(false)] out StoredValue value);

    /// <summary>Removes a key; returns whether it was held.</summary>
    bool Remove(NodeId key);

    /// <summary>
    /// Own and replicated values neither received nor replicated within the last <paramref name="interval"/>:
    /// a value stored here within the hour was just replicated to the k closest by someone else (§4.1).
    /// Cached values are never replicated.
    /// </summary>
    IReadOnlyList<StoredValue> GetDueForReplication(TimeSpan interval);

    /// <summary>Own values published (or republished) at least <paramref name="interval"/> ago.</summary>
    IReadOnlyList<StoredValue> GetOwnDueForRepublish(TimeSpan interval);

    /// <summary>Records that the value was just replicated (its expiry does not change).</summary>
    bool MarkReplicated(NodeId key);

    /// <summary>
    /// Renews an own value's publication to now (and so its expiry); read it back with <see cref="TryGet"/>
    /// for the publication time to send with the STOREs. Returns false when the key is not an own value.
    /// </summary>
    bool MarkRepublished(NodeId key);

    /// <summary>Removes every expired value; returns how many.</summary>
    int RemoveExpired();

    StorageStatistics GetStatistics();

    /// <summary>A copy of every unexpired value (for the hand-off of §2.5 and the HTTP API).</summary>
    IReadOnlyList<StoredValue> GetAll();

    /// <summary>
    /// Completes once every change made before the call is on disk (at once for a memory-only store).
    /// Acknowledge a STORE, or return from a put, only after it.
    /// </summary>
    /// <exception cref="IOException">The data directory cannot be written.</exception>
    Task WhenDurableAsync(CancellationToken cancellationToken);
}

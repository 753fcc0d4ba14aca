using Liaa.Node.Kademlia;

namespace Liaa.Node.Storage;

/// <summary>A copy of one held value and its times, as returned by the store (the store keeps a compact form).</summary>
/// <param name="Key">The 160-bit key (the SHA-1 of the user's key, or a digest given as is).</param>
/// <param name="Value">The value.</param>
/// <param name="Origin">Why this node holds it.</param>
/// <param name="PublishedAt">When the original publisher (re)published it; expiry counts from here.</param>
/// <param name="ReceivedAt">When it was last stored or refreshed here (a STORE, a republish).</param>
/// <param name="ExpiresAt">When it stops being served.</param>
/// <param name="LastReplicatedAt">When this node last replicated or republished it; <c>null</c> if never.</param>
public sealed record StoredValue(
    NodeId Key,
    DhtValue Value,
    ValueOrigin Origin,
    DateTimeOffset PublishedAt,
    DateTimeOffset ReceivedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastReplicatedAt)
{
    /// <summary>Size counted against the limits: the value's encoded bytes.</summary>
    public int Size => Value.Encoded.Length;
}

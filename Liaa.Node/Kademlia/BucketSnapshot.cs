using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>A contact as the routing table sees it, for the HTTP API and the dashboard.</summary>
/// <param name="Contact">Id and endpoint.</param>
/// <param name="LastSeen">When the last message from the contact arrived.</param>
/// <param name="FailureCount">Consecutive failed requests since then (always 0 for a replacement candidate).</param>
/// <param name="IsStale">Whether <see cref="FailureCount"/> reached the eviction threshold with no replacement waiting.</param>
/// <param name="PendingEndPoint">Another endpoint the same id has sent from, waiting for the old one to fail.</param>
public sealed record ContactSnapshot(Contact Contact, DateTimeOffset LastSeen, int FailureCount, bool IsStale, IPEndPoint? PendingEndPoint);

/// <summary>One k-bucket at the time of the snapshot.</summary>
/// <param name="Low">Lowest id of the range.</param>
/// <param name="High">Highest id of the range.</param>
/// <param name="Depth">Number of prefix bits every id in the range shares.</param>
/// <param name="ContainsSelf">Whether the range holds the node's own id.</param>
/// <param name="Contacts">Contacts, least-recently seen first.</param>
/// <param name="Replacements">Replacement cache, least-recently seen first (the last is promoted first).</param>
/// <param name="LastLookup">When a lookup last targeted the range; <c>null</c> if never.</param>
/// <param name="Fill">Contacts / k, between 0 and 1.</param>
public sealed record BucketSnapshot(
    NodeId Low,
    NodeId High,
    int Depth,
    bool ContainsSelf,
    IReadOnlyList<ContactSnapshot> Contacts,
    IReadOnlyList<ContactSnapshot> Replacements,
    DateTimeOffset? LastLookup,
    double Fill);

using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node;

/// <summary>How a join went: seeds tried and reached, and the routing table size after it.</summary>
public sealed record JoinResult(int SeedsTried, int SeedsReached, int RoutingTableSize)
{
    /// <summary>True when at least one seed answered, or when there was none to try (a new network).</summary>
    public bool IsJoined => SeedsTried == 0 || SeedsReached > 0;
}

/// <summary>How a put went: <see cref="IsAccepted"/> false with a reason when refused (e.g. too large).</summary>
public sealed record PutResult(NodeId Key, bool IsAccepted, int StoredAt, int Asked, string? Reason);

/// <summary>What a get found: <see cref="Value"/> null when the key is not in the DHT.</summary>
public sealed record GetResult(NodeId Key, DhtValue? Value, DateTimeOffset? PublishedAt, bool IsLocal, int Rounds, int NodesContacted)
{
    public bool IsFound => Value is not null;
}

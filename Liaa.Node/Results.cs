using Liaa.Node.Kademlia;
using Liaa.Node.Storage;

namespace Liaa.Node;

/// <summary>How a join went: seeds tried and reached, and the routing table size after it.</summary>
public sealed record JoinResult(int SeedsTried, int SeedsReached, int RoutingTableSize)
{
    /// <summary>Contacts remembered from the previous run (data directory) that answered a ping.</summary>
    public int RememberedReached { get; init; }

    /// <summary>
    /// Seeds that were this node itself (its own endpoint, or an address where it answered with its own id, as when a
    /// seed name lists every node of a cluster and the node is bound to 0.0.0.0): not counted in <see cref="SeedsTried"/>,
    /// so a node that is its only seed starts a new network.
    /// </summary>
    public int SelfSeeds { get; init; }

    /// <summary>True when at least one seed or remembered contact answered, or when there was no seed to try (a new network).</summary>
    public bool IsJoined => SeedsTried == 0 || SeedsReached > 0 || RememberedReached > 0;
}

/// <summary>How a put went: <see cref="IsAccepted"/> false with a reason when refused (e.g. too large).</summary>
public sealed record PutResult(NodeId Key, bool IsAccepted, int StoredAt, int Asked, string? Reason)
{
    /// <summary>Why the local store refused the value; null when accepted, or when it was accepted but could not be made durable.</summary>
    public StoreStatus? Refusal { get; init; }

    /// <summary>The value was accepted but the data directory could not be written: the put is not acknowledged.</summary>
    public bool IsStorageFailure { get; init; }
}

/// <summary>What a get found: <see cref="Value"/> null when the key is not in the DHT.</summary>
public sealed record GetResult(NodeId Key, DhtValue? Value, DateTimeOffset? PublishedAt, bool IsLocal, int Rounds, int NodesContacted)
{
    public bool IsFound => Value is not null;
}

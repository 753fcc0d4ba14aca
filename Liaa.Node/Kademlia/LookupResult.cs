
namespace Liaa.Node.Kademlia;

/// <summary>A moment the closest node a lookup knew of got closer to the target (for telemetry).</summary>
/// <param name="At">When the answer that brought it arrived (the first entry is the start of the lookup).</param>
/// <param name="ClosestDistance">XOR distance from the target of the closest node seen that has not failed.</param>
/// <param name="NodesContacted">Requests sent so far.</param>
public sealed record LookupProgress(DateTimeOffset At, NodeId ClosestDistance, int NodesContacted);

/// <summary>What a lookup found and what it did to find it.</summary>
/// <param name="Kind">FIND_NODE or FIND_VALUE.</param>
/// <param name="Target">The id or key looked up.</param>
/// <param name="ClosestNodes">Up to k nodes that answered, nearest to the target first; failed nodes never appear.</param>
/// <param name="Value">FIND_VALUE: the value most holders returned, or <c>null</c> when none did.</param>
/// <param name="PublishedAt">The newest publication time the holders of <see cref="Value"/> reported (Liaa peers only).</param>
/// <param name="ValueHolders">Nodes that returned <see cref="Value"/>, in answer order.</param>
/// <param name="OtherValueHolders">Nodes that returned a different value (outvoted), in answer order.</param>
/// <param name="DistinctValues">Number of different values returned.</param>
/// <param name="CacheCandidate">
/// FIND_VALUE with a value: the closest node that answered without the value, where §2.3 caches it.
/// </param>
/// <param name="CacheCandidateNodesBetween">
/// Nodes the lookup saw (and that did not fail) strictly between <see cref="CacheCandidate"/> and the node
/// closest to the key, for <see cref="Lookup.CacheTtl"/>.
/// </param>
/// <param name="Rounds">Hop depth: initial contacts are depth 1, a contact learnt from a depth-d answer is d + 1; the deepest that answered.</param>
/// <param name="NodesContacted">Requests sent (distinct nodes).</param>
/// <param name="Timeouts">Requests that failed.</param>
/// <param name="IgnoredResponses">Answers that came from nodes not being waited on (late, duplicate or unexpected).</param>
/// <param name="Progress">Each improvement of the closest distance, in order.</param>
/// <param name="StartedAt">Time of the first <see cref="Lookup.Next"/>.</param>
/// <param name="FinishedAt">Time the lookup finished, or <c>null</c> while it runs.</param>
public sealed record LookupResult(
    LookupKind Kind,
    NodeId Target,
    IReadOnlyList<Contact> ClosestNodes,
    DhtValue? Value,
    DateTimeOffset? PublishedAt,
    IReadOnlyList<Contact> ValueHolders,
    IReadOnlyList<Contact> OtherValueHolders,
    int DistinctValues,
    Contact? CacheCandidate,
    int CacheCandidateNodesBetween,
    int Rounds,
    int NodesContacted,
    int Timeouts,
    int IgnoredResponses,
    IReadOnlyList<LookupProgress> Progress,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>The lookup was ended by <see cref="KademliaOptions.MaxLookupDuration"/>: this is what it had found by then.</summary>
    public bool DeadlineExceeded { get; init; }

    /// <summary>
    /// The nodes to store at: <see cref="ClosestNodes"/>, or for a lookup that ended at convergence
    /// (<see cref="Lookup.EndsAtConvergence"/>) up to 2k nearest nodes seen that have not failed, answered or not.
    /// </summary>
    public IReadOnlyList<Contact> Candidates { get; init; } = [];

    /// <summary>FIND_VALUE: when the first value arrived (the lookup then waits only for requests already in flight).</summary>
    public DateTimeOffset? FirstValueAt { get; init; }
}

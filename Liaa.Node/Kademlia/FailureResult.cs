namespace Liaa.Node.Kademlia;

/// <summary>What <see cref="RoutingTable.RecordFailure"/> did.</summary>
internal enum FailureStatus
{
    /// <summary>The id is not in the table (or only in a replacement cache, from which it was dropped).</summary>
    NotFound,

    /// <summary>The failure was counted; the contact stays (it may now be stale, see <see cref="FailureResult.IsStale"/>).</summary>
    Counted,

    /// <summary>The contact was stale and was evicted; <see cref="FailureResult.Promoted"/> took its place if a replacement was waiting.</summary>
    Evicted,

    /// <summary>The old endpoint was stale and the id's newer endpoint replaced it.</summary>
    EndPointReplaced,
}

/// <summary>The outcome of a failed request to a contact.</summary>
internal readonly record struct FailureResult(FailureStatus Status, int FailureCount = 0, bool IsStale = false, Contact? Promoted = null)
{
    public bool IsEvicted => Status == FailureStatus.Evicted;
}

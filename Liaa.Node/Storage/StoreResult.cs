namespace Liaa.Node.Storage;

/// <summary>What a <see cref="IValueStore.Put"/> did. A store is never dropped silently: every refusal has a status and a reason.</summary>
public enum StoreStatus
{
    /// <summary>A new key is held.</summary>
    Stored,

    /// <summary>The key was held; its value, times or origin were updated (a same-value store refreshes it).</summary>
    Updated,

    /// <summary>Refused: the held copy was published later, or at the same time with another value.</summary>
    Stale,

    /// <summary>Refused: the value's lifetime had already ended when it arrived.</summary>
    Expired,

    /// <summary>Refused: the value is larger than <see cref="StorageOptions.MaxValueBytes"/>.</summary>
    TooLarge,

    /// <summary>Refused: <see cref="StorageOptions.MaxKeys"/> keys are held and none could make room.</summary>
    KeyLimit,

    /// <summary>Refused: <see cref="StorageOptions.MaxTotalBytes"/> would be exceeded and nothing could make room.</summary>
    ByteLimit,

    /// <summary>
    /// Refused: the sender's address, or its network (/24, /48), holds its share already
    /// (<see cref="StorageOptions.MaxBytesPerSource"/> and the like). Own puts are never refused so.
    /// </summary>
    SourceLimit,
}

/// <summary>The outcome of a store, with the reason for a refusal.</summary>
public readonly record struct StoreResult(StoreStatus Status, string? Reason = null)
{
    /// <summary>Whether the value is now held (stored or updated).</summary>
    public bool IsAccepted => Status is StoreStatus.Stored or StoreStatus.Updated;
}

namespace Liaa.Node.Storage;

/// <summary>Keys and bytes held for one origin.</summary>
public readonly record struct OriginStatistics(int Keys, long Bytes);

/// <summary>
/// What a store holds, for the HTTP API and metrics. Counts every held entry, including entries that have
/// expired since the last <see cref="IValueStore.RemoveExpired"/>. Bytes are encoded value bytes.
/// </summary>
public sealed record StorageStatistics(
    int Keys,
    long Bytes,
    OriginStatistics Own,
    OriginStatistics Replicated,
    OriginStatistics Cached,
    long CachedEvictedForRoom,
    int MaxKeys,
    long MaxTotalBytes)
{
    /// <summary>The keys and bytes held for <paramref name="origin"/>.</summary>
    public OriginStatistics For(ValueOrigin origin) => origin switch
    {
        ValueOrigin.Own => Own,
        ValueOrigin.Replicated => Replicated,
        _ => Cached,
    };
}

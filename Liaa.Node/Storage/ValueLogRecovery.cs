namespace Liaa.Node.Storage;

/// <summary>What opening a <see cref="ValueLog"/> found.</summary>
/// <param name="Values">The last state of every key the log holds (expired ones included: the store skips them).</param>
/// <param name="Records">Intact records read.</param>
/// <param name="TruncatedBytes">Bytes cut off the end: a torn last write (a last record cut short by a crash).</param>
/// <param name="Length">The file's length after recovery.</param>
internal sealed record ValueLogRecovery(IReadOnlyList<StoredValue> Values, int Records, long TruncatedBytes, long Length)
{
    /// <summary>Bytes that could not be read between intact records, or a whole last record that fails its checksum: skipped, and copied to <see cref="CorruptCopy"/>.</summary>
    public long CorruptBytes { get; init; }

    /// <summary>Where the unreadable bytes lay in the log as it was found: start (inclusive) and end (exclusive) offsets.</summary>
    public IReadOnlyList<(long Start, long End)> CorruptRanges { get; init; } = [];

    /// <summary>The file holding a copy of the <see cref="CorruptBytes"/> (<c>values.log.corrupt-&lt;UTC time&gt;</c>), or null when nothing was corrupt.</summary>
    public string? CorruptCopy { get; init; }
}

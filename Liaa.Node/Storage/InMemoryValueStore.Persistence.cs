namespace Liaa.Node.Storage;

/// <summary>The persistence side of the store: restoring from the journal, durability, and snapshots for compaction.</summary>
internal sealed partial class InMemoryValueStore
{
    public Task WhenDurableAsync(CancellationToken cancellationToken) =>
        _journal?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// Puts back values recovered from the journal, with their recorded origin and times, before the node
    /// serves anything. Expired values are skipped; values the current limits no longer admit (a smaller
    /// <see cref="StorageOptions.MaxValueBytes"/>, say) are refused and journaled as removed.
    /// </summary>
    public RestoreResult Restore(IEnumerable<StoredValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var now = _time.GetUtcNow().UtcTicks;
        int restored = 0, expired = 0, refused = 0;
        lock (_gate)
        {
            foreach (var value in values)
            {
                if (value.ExpiresAt.UtcTicks <= now)
                {
                    expired++;
                    continue;
                }

                var size = value.Size;
                if (_entries.ContainsKey(value.Key) || size > _options.MaxValueBytes
                    || _entries.Count >= _options.MaxKeys || _totalBytes + size > _options.MaxTotalBytes)
                {
                    refused++;
                    _journal?.Removed(value.Key);
                    continue;
                }

                var entry = new Entry
                {
                    Value = value.Value,
                    Origin = value.Origin,
                    PublishedTicks = value.PublishedAt.UtcTicks,
                    ReceivedTicks = value.ReceivedAt.UtcTicks,
                    ExpiresTicks = value.ExpiresAt.UtcTicks,
                };
                _entries.Add(value.Key, entry);
                Tally(value.Key, entry, +1);
                restored++;
            }
        }

        return new RestoreResult(restored, expired, refused);
    }

    /// <summary>
    /// Every unexpired value and <paramref name="readMark"/>'s answer, taken together under the lock: since
    /// every journal write happens under it too, the values are exactly the state the journal reaches at the mark.
    /// </summary>
    public (IReadOnlyList<StoredValue> Live, long Mark) CaptureForJournal(Func<long> readMark)
    {
        ArgumentNullException.ThrowIfNull(readMark);
        var now = _time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            return (LiveValues(now), readMark());
        }
    }
}

/// <summary>What <see cref="InMemoryValueStore.Restore"/> did with the recovered values.</summary>
internal readonly record struct RestoreResult(int Restored, int Expired, int Refused);

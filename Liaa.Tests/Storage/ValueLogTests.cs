using Liaa.Node.Kademlia;
using Liaa.Node.Storage;
using Liaa.Node.Wire;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Storage;

public sealed class ValueLogTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string LogPath => _directory.File(ValueLog.FileName);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Open_ReturnsTheLastStateOfEveryKey_AfterValuesUpdatesAndRemovals()
    {
        using (var log = ValueLog.Open(LogPath, out var empty))
        {
            Assert.Empty(empty.Values);
            Write(log, 1, DhtValue.FromString("one"), ValueOrigin.Own);
            Write(log, 2, DhtValue.FromInt64(2), ValueOrigin.Replicated);
            Write(log, 3, DhtValue.FromBytes([3, 3]), ValueOrigin.Cached);
            Write(log, 1, DhtValue.FromString("one, again"), ValueOrigin.Replicated, minutes: 5);
            log.Removed(Key(2));
            await log.FlushAsync(Token);
        }

        using var reopened = ValueLog.Open(LogPath, out var recovery);

        Assert.Equal(5, recovery.Records);
        Assert.Equal(0, recovery.TruncatedBytes);
        Assert.Equal(
            [Stored(1, DhtValue.FromString("one, again"), ValueOrigin.Replicated, minutes: 5), Stored(3, DhtValue.FromBytes([3, 3]), ValueOrigin.Cached)],
            recovery.Values.OrderBy(v => v.Key));
    }

    [Fact]
    public async Task Open_KeepsEveryWholeRecordAndCutsTheRest_WhereverTheFileWasTorn()
    {
        var boundaries = new List<long>();
        using (var log = ValueLog.Open(LogPath, out _))
        {
            boundaries.Add(log.Position);
            for (var i = 1; i <= 4; i++)
            {
                Write(log, i, DhtValue.FromString(new string('x', i * 7)), ValueOrigin.Own);
                boundaries.Add(log.Position);
            }

            await log.FlushAsync(Token);
        }

        var whole = await File.ReadAllBytesAsync(LogPath, Token);
        for (var cut = ValueLog.HeaderSize; cut <= whole.Length; cut++)
        {
            await File.WriteAllBytesAsync(LogPath, whole[..cut], Token);
            var complete = boundaries.Count(b => b <= cut) - 1;

            using (var log = ValueLog.Open(LogPath, out var recovery))
            {
                Assert.Equal(complete, recovery.Records);
                Assert.Equal(Enumerable.Range(1, complete).Select(i => Key(i)).Order(), recovery.Values.Select(v => v.Key).Order());
                Assert.Equal(boundaries[complete], log.Position);
                Assert.Equal(cut - boundaries[complete], recovery.TruncatedBytes);
            }

            Assert.Equal(boundaries[complete], new FileInfo(LogPath).Length);
        }
    }

    [Fact]
    public async Task Open_SkipsACorruptRecordInTheMiddle_KeepsTheRecordsAfterIt_AndACopyOfWhatItCouldNotRead()
    {
        const int count = 419;
        var starts = new long[count + 2];
        using (var log = ValueLog.Open(LogPath, out _))
        {
            for (var i = 1; i <= count; i++)
            {
                starts[i] = log.Position;
                Write(log, i, DhtValue.FromString($"value {i} " + new string('v', i % 50)), ValueOrigin.Own);
            }

            starts[count + 1] = log.Position;
            await log.FlushAsync(Token);
        }

        // One flipped bit in the payload of a record in the middle (its checksum no longer matches).
        const int bad = 200;
        var bytes = await File.ReadAllBytesAsync(LogPath, Token);
        bytes[starts[bad] + ValueLog.RecordPrefixSize + 30] ^= 0x40;
        await File.WriteAllBytesAsync(LogPath, bytes, Token);

        using (var log = ValueLog.Open(LogPath, out var recovery))
        {
            Assert.Equal(Enumerable.Range(1, count).Where(i => i != bad).Select(i => Key(i)).Order(), recovery.Values.Select(v => v.Key).Order());
            Assert.Equal(count - 1, recovery.Records);
            Assert.Equal(0, recovery.TruncatedBytes);
            Assert.Equal(starts[bad + 1] - starts[bad], recovery.CorruptBytes);
            Assert.NotNull(recovery.CorruptCopy);
            Assert.Equal(bytes[(int)starts[bad]..(int)starts[bad + 1]], await File.ReadAllBytesAsync(recovery.CorruptCopy, Token));
            Assert.StartsWith(LogPath + ".corrupt-", recovery.CorruptCopy, StringComparison.Ordinal);
            Write(log, count + 1, DhtValue.FromString("written after recovery"), ValueOrigin.Own);
            await log.FlushAsync(Token);
        }

        // The log was rewritten without the bad record: the next open finds nothing wrong and makes no copy.
        using var again = ValueLog.Open(LogPath, out var second);
        Assert.Equal(count, second.Values.Count);
        Assert.Contains(second.Values, v => v.Key == Key(count + 1));
        Assert.Equal(0, second.CorruptBytes);
        Assert.Null(second.CorruptCopy);
        Assert.Single(Directory.GetFiles(_directory.Path, ValueLog.FileName + ".corrupt-*"));
    }

    [Fact]
    public async Task Open_KeepsACopy_WhenTheLastWholeRecordIsCorrupt()
    {
        long lastStart;
        using (var log = ValueLog.Open(LogPath, out _))
        {
            Write(log, 1, DhtValue.FromString("kept"), ValueOrigin.Own);
            lastStart = log.Position;
            Write(log, 2, DhtValue.FromString("corrupted"), ValueOrigin.Own);
            await log.FlushAsync(Token);
        }

        var bytes = await File.ReadAllBytesAsync(LogPath, Token);
        bytes[lastStart + ValueLog.RecordPrefixSize + 30] ^= 0x40;
        await File.WriteAllBytesAsync(LogPath, bytes, Token);

        using var reopened = ValueLog.Open(LogPath, out var recovery);
        Assert.Equal([Key(1)], recovery.Values.Select(v => v.Key));
        Assert.Equal(bytes.Length - lastStart, recovery.CorruptBytes);
        Assert.Equal(bytes[(int)lastStart..], await File.ReadAllBytesAsync(recovery.CorruptCopy!, Token));
        Assert.Equal(lastStart, new FileInfo(LogPath).Length);
    }

    [Fact]
    public async Task Open_RefusesAFileThatIsNotAValueLog_AndLeavesItUntouched()
    {
        byte[] foreign = [.. "not a log at all"u8];
        await File.WriteAllBytesAsync(LogPath, foreign, Token);

        var error = Assert.Throws<InvalidDataException>(() => ValueLog.Open(LogPath, out _));

        Assert.Contains("is not a Liaa value log", error.Message, StringComparison.Ordinal);
        Assert.Equal(foreign, await File.ReadAllBytesAsync(LogPath, Token));
    }

    [Fact]
    public void Open_StartsOver_WhenOnlyPartOfTheHeaderWasWritten()
    {
        File.WriteAllBytes(LogPath, ValueLog.Magic[..3].ToArray());

        using var log = ValueLog.Open(LogPath, out var recovery);

        Assert.Empty(recovery.Values);
        Assert.Equal(3, recovery.TruncatedBytes);
        Assert.Equal(ValueLog.HeaderSize, log.Position);
    }

    [Fact]
    public async Task Flush_CompactsToTheLiveValues_AndKeepsWhatWasWrittenDuringCompaction()
    {
        var time = new FakeTimeProvider(T0);
        using var log = ValueLog.Open(LogPath, out _, minCompactionBytes: 4096);
        var store = new InMemoryValueStore(time, new StorageOptions(), log);
        log.CompactionSource = () =>
        {
            var snapshot = store.CaptureForJournal(() => log.Position);

            // A write between the snapshot and the switch must land in the new file too.
            store.Put(Key(1000), DhtValue.FromString("during"), ValueOrigin.Own, time.GetUtcNow());
            return snapshot;
        };

        for (var round = 0; round < 40; round++)
        {
            for (var key = 0; key < 10; key++)
            {
                store.Put(Key(key), DhtValue.FromString($"round {round} of key {key}"), ValueOrigin.Own, time.GetUtcNow());
            }

            time.Advance(TimeSpan.FromSeconds(1));
            await store.WhenDurableAsync(Token);
        }

        Assert.True(log.Compactions >= 1, $"{log.Compactions} compactions");
        Assert.True(log.Position < 8192, $"the log is {log.Position} bytes");
        log.CompactionSource = null;
        var expected = store.GetAll().OrderBy(v => v.Key).ToArray();
        log.Dispose();

        using var reopened = ValueLog.Open(LogPath, out var recovery);
        Assert.Equal(0, recovery.TruncatedBytes);
        Assert.Equal(11, expected.Length);
        Assert.Equal(expected, recovery.Values.OrderBy(v => v.Key));
        Assert.False(File.Exists(LogPath + ".compacting"));
    }

    [Fact]
    public async Task Flush_MakesConcurrentWritersDurable_SharingFsyncs()
    {
        using (var log = ValueLog.Open(LogPath, out _))
        {
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(
                async () =>
                {
                    for (var i = 0; i < 50; i++)
                    {
                        Write(log, (w * 100) + i, DhtValue.FromInt64(i), ValueOrigin.Replicated);
                        await log.FlushAsync(Token);
                    }
                },
                Token));
            await Task.WhenAll(writers);
        }

        using var reopened = ValueLog.Open(LogPath, out var recovery);
        Assert.Equal(400, recovery.Values.Count);
        Assert.Equal(400, recovery.Records);
    }

    [Fact]
    public async Task FlushAsync_Throws_OnceTheLogIsClosed()
    {
        var log = ValueLog.Open(LogPath, out _);
        log.Dispose();
        Write(log, 1, DhtValue.FromString("too late"), ValueOrigin.Own);

        await Assert.ThrowsAsync<IOException>(() => log.FlushAsync(Token));
    }

    [Fact]
    public async Task Store_RestoresRecoveredValues_WithTheirOriginAndTimes_AndSkipsExpiredOnes()
    {
        var time = new FakeTimeProvider(T0);
        var options = new StorageOptions { Ttl = TimeSpan.FromHours(2), ReplicateInterval = TimeSpan.FromMinutes(10), RepublishInterval = TimeSpan.FromHours(1) };
        using (var log = ValueLog.Open(LogPath, out _))
        {
            var store = new InMemoryValueStore(time, options, log);
            store.Put(Key(1), DhtValue.FromString("own"), ValueOrigin.Own, T0);
            time.Advance(TimeSpan.FromHours(1));
            store.Put(Key(2), DhtValue.FromString("replica"), ValueOrigin.Replicated, T0.AddMinutes(30));
            store.Put(Key(3), DhtValue.FromString("cached"), ValueOrigin.Cached, T0.AddMinutes(50), TimeSpan.FromMinutes(5));
            await store.WhenDurableAsync(Token);
        }

        time.Advance(TimeSpan.FromMinutes(30));
        using var reopened = ValueLog.Open(LogPath, out var recovery);
        var restored = new InMemoryValueStore(time, options, reopened);
        var result = restored.Restore(recovery.Values);

        Assert.Equal(new RestoreResult(Restored: 2, Expired: 1, Refused: 0), result);
        Assert.Equal(
            [
                new StoredValue(Key(1), DhtValue.FromString("own"), ValueOrigin.Own, T0, T0, T0.AddHours(2), null),
                new StoredValue(Key(2), DhtValue.FromString("replica"), ValueOrigin.Replicated, T0.AddMinutes(30), T0.AddHours(1), T0.AddMinutes(150), null),
            ],
            restored.GetAll().OrderBy(v => v.Key));
    }

    private static NodeId Key(int i) => NodeId.FromKey($"key-{i}");

    private static StoredValue Stored(int key, DhtValue value, ValueOrigin origin, int minutes = 0) =>
        new(Key(key), value, origin, T0.AddMinutes(minutes), T0.AddMinutes(minutes + 1), T0.AddMinutes(minutes).AddHours(24), null);

    private static void Write(ValueLog log, int key, DhtValue value, ValueOrigin origin, int minutes = 0)
    {
        var stored = Stored(key, value, origin, minutes);
        log.Written(stored.Key, value, origin, stored.PublishedAt.UtcTicks, stored.ReceivedAt.UtcTicks, stored.ExpiresAt.UtcTicks);
    }
}

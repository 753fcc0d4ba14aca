using System.Buffers;
using System.Buffers.Binary;
using Liaa.Node.Kademlia;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Liaa.Node.Storage;

/// <summary>
/// The value store's journal on disk: an append-only file of checksummed, length-prefixed records, one per
/// change (the full state of a key, or its removal). Replaying it from the start rebuilds the store. A
/// change counts as durable once <see cref="FlushAsync"/> has returned: a STORE is acknowledged and a put
/// returns only after that, so whatever was acknowledged survives <c>kill -9</c> and a power cut.
/// </summary>
/// <remarks>
/// <para>
/// Layout: the 8-byte magic <c>LIAAVL01</c>, then records. A record is <c>u32 length</c>, <c>u32 crc</c>
/// (CRC-32C of the length bytes and the payload), and the payload: <c>u8 kind</c> (1 value, 2 removal),
/// the 20-byte key and, for a value, <c>u8 origin</c>, <c>i64</c> publication, reception and expiry times
/// (UTC ticks) and the value's MessagePack bytes. Little-endian throughout.
/// </para>
/// <para>
/// Recovery: a crash can leave only the tail torn (records are appended, and the file is flushed before
/// anything that follows is acknowledged): a last record whose length runs past the end is cut off. Anything
/// else that does not read (a checksum that fails, a length out of range, a payload that does not parse: a
/// failing disk, a stray write) is corruption, and costs only the records it touches: opening resynchronises
/// on the next offset where a whole record reads with a matching checksum, keeps every intact record after it,
/// copies the unreadable bytes to <c>values.log.corrupt-&lt;UTC time&gt;</c> beside the log, and rewrites the
/// log from what it recovered (as a compaction does), so the next open finds it clean. What was lost is the
/// state of the keys whose records were unreadable: such a key comes back as its previous record left it, or
/// not at all.
/// </para>
/// <para>
/// Group commit: appends go to the OS at once (one <c>pwrite</c>, under a lock, in the store's order); a
/// flush covers every append made before it, so concurrent writers share one <c>fsync</c>.
/// </para>
/// <para>
/// Compaction keeps the file within about twice the live data (and at least <c>minCompactionBytes</c>): a
/// flush that finds the file past its threshold writes the live values to a new file, appends the records
/// written meanwhile, flushes it, renames it over the log and flushes the directory. A crash at any point
/// leaves either the old complete log or the new one; a leftover temporary file is deleted on open.
/// </para>
/// <para>
/// A write error puts the log in a failed state: later appends are ignored and every flush throws, so no
/// change is acknowledged that might not be on disk. The values stay served from memory.
/// </para>
/// </remarks>
internal sealed partial class ValueLog : IValueJournal, IDisposable
{
    public const string FileName = "values.log";

    /// <summary>Below this size the log is never compacted. <value>4 MiB.</value></summary>
    public const long DefaultMinCompactionBytes = 4L * 1024 * 1024;

    internal const int HeaderSize = 8;
    internal const int RecordPrefixSize = 8;
    internal const int ValueFixedSize = 1 + NodeId.ByteLength + 1 + (3 * sizeof(long));
    internal const int MaxPayloadSize = ValueFixedSize + WireCodec.MaxDatagramSize;
    internal const int MinPayloadSize = RemovalSize;
    private const int RemovalSize = 1 + NodeId.ByteLength;
    private const byte ValueKind = 1;
    private const byte RemovalKind = 2;
    private const string CompactingSuffix = ".compacting";

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly string _path;
    private readonly long _minCompactionBytes;
    private readonly ILogger _logger;
    private SafeFileHandle _handle;
    private long _length;
    private long _appended;
    private long _durable;
    private long _compactAt;
    private int _compactions;
    private IOException? _failure;
    private bool _disposed;

    private ValueLog(string path, SafeFileHandle handle, long length, long liveBytes, long minCompactionBytes, ILogger logger)
    {
        _path = path;
        _handle = handle;
        _length = length;
        _minCompactionBytes = minCompactionBytes;
        _logger = logger;
        _compactAt = Math.Max(minCompactionBytes, 2 * liveBytes);
    }

    internal static ReadOnlySpan<byte> Magic => "LIAAVL01"u8;

    /// <summary>
    /// The live values and the log position they correspond to, captured atomically (under the store's
    /// lock, reading <see cref="Position"/> there). Compaction is off while it is null.
    /// </summary>
    public Func<(IReadOnlyList<StoredValue> Live, long Mark)>? CompactionSource { get; set; }

    /// <summary>The file's length: the position the next record is written at.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    /// <summary>Compactions done since the log was opened.</summary>
    public int Compactions => Volatile.Read(ref _compactions);

    /// <summary>Whether a write failed; nothing is acknowledged any more.</summary>
    public bool IsFailed
    {
        get
        {
            lock (_gate)
            {
                return _failure is not null;
            }
        }
    }

    /// <summary>The write error that failed the log, or null while it works.</summary>
    public IOException? Failure
    {
        get
        {
            lock (_gate)
            {
                return _failure;
            }
        }
    }

    /// <summary>
    /// Opens (or creates) the log at <paramref name="path"/>, replays it and truncates a torn or corrupt tail.
    /// </summary>
    /// <param name="path">The log file.</param>
    /// <param name="recovery">What was read: the values the log holds (the last state of each key) and what was cut off.</param>
    /// <param name="minCompactionBytes">Below this size the log is never compacted.</param>
    /// <param name="logger">For compaction failures.</param>
    /// <exception cref="InvalidDataException">The file is not a Liaa value log (it is left untouched).</exception>
    /// <param name="time">The clock that names a copy of corrupt bytes; the system clock when null.</param>
    public static ValueLog Open(string path, out ValueLogRecovery recovery, long minCompactionBytes = DefaultMinCompactionBytes, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = Path.GetFullPath(path);

        // A compaction that did not reach its rename: the log itself is complete.
        File.Delete(path + CompactingSuffix);
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            recovery = Recover(path, handle);
            if (recovery.CorruptRanges.Count > 0)
            {
                var copy = CopyCorrupt(path, handle, recovery.CorruptRanges, (time ?? TimeProvider.System).GetUtcNow());
                handle = Rewrite(path, handle, recovery.Values, out var length);
                recovery = recovery with { CorruptCopy = copy, Length = length };
            }

            var liveBytes = recovery.Values.Sum(v => (long)RecordPrefixSize + ValueFixedSize + v.Size);
            return new ValueLog(path, handle, recovery.Length, liveBytes, minCompactionBytes, logger ?? NullLogger.Instance);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Written(NodeId key, DhtValue value, ValueOrigin origin, long publishedTicks, long receivedTicks, long expiresTicks)
    {
        var size = RecordPrefixSize + ValueFixedSize + value.Encoded.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var record = buffer.AsSpan(0, size);
            WriteValue(record, key, value, origin, publishedTicks, receivedTicks, expiresTicks);
            Append(record);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Removed(NodeId key)
    {
        Span<byte> record = stackalloc byte[RecordPrefixSize + RemovalSize];
        var payload = record[RecordPrefixSize..];
        payload[0] = RemovalKind;
        key.WriteTo(payload[1..]);
        Seal(record);
        Append(record);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Volatile.Read(ref _appended);
        if (Volatile.Read(ref _durable) >= target)
        {
            ThrowIfFailed();
            return;
        }

        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            if (_durable >= target)
            {
                return;
            }

            long covered;
            SafeFileHandle handle;
            lock (_gate)
            {
                covered = _appended;
                handle = _handle;
            }

            try
            {
                // Everything appended so far is in the kernel (appends write through), so one fsync covers it all.
                RandomAccess.FlushToDisk(handle);
            }
            catch (IOException ex)
            {
                Fail(ex);
                throw;
            }

            Volatile.Write(ref _durable, covered);
            CompactIfDue();
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Compacts now if the log has passed its threshold (also checked after every flush); for maintenance and tests.</summary>
    public async Task CompactIfDueAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CompactIfDue();
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Flushes what is pending and closes the file; later changes are not recorded.</summary>
    public void Dispose()
    {
        _flushGate.Wait();
        try
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                if (_failure is null)
                {
                    try
                    {
                        RandomAccess.FlushToDisk(_handle);
                    }
                    catch (IOException ex)
                    {
                        Log.ValueLogFailed(_logger, _path, ex);
                    }
                }

                _handle.Dispose();
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private void Append(ReadOnlySpan<byte> record)
    {
        lock (_gate)
        {
            if (_failure is not null || _disposed)
            {
                return;
            }

            try
            {
                RandomAccess.Write(_handle, record, _length);
                _length += record.Length;
                _appended++;
            }
            catch (IOException ex)
            {
                // A partial record may be on disk now; recovery will cut it off. Nothing more is appended after it.
                _failure = ex;
                Log.ValueLogFailed(_logger, _path, ex);
            }
        }
    }

    private void Fail(IOException exception)
    {
        lock (_gate)
        {
            if (_failure is null)
            {
                _failure = exception;
                Log.ValueLogFailed(_logger, _path, exception);
            }
        }
    }

    private void ThrowIfFailed()
    {
        lock (_gate)
        {
            if (_failure is { } failure)
            {
                throw new IOException($"The value log {_path} cannot be written: {failure.Message}", failure);
            }

            if (_disposed)
            {
                throw new IOException($"The value log {_path} is closed.");
            }
        }
    }

    // Runs under the flush gate: no fsync of the old file races the switch.
    private void CompactIfDue()
    {
        if (CompactionSource is not { } source || Position < Volatile.Read(ref _compactAt) || IsFailed)
        {
            return;
        }

        try
        {
            Compact(source);
        }
        catch (IOException ex)
        {
            // The log itself is intact: keep appending to it and try again once it has grown as much again.
            lock (_gate)
            {
                _compactAt = Math.Max(_compactAt, 2 * _length);
            }

            Log.ValueLogCompactionFailed(_logger, _path, ex);
        }
    }

    private void Compact(Func<(IReadOnlyList<StoredValue> Live, long Mark)> source)
    {
        var (live, mark) = source();
        var temporary = _path + CompactingSuffix;
        var next = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        var switched = false;
        try
        {
            var length = WriteSnapshot(next, live);
            RandomAccess.FlushToDisk(next);
            lock (_gate)
            {
                if (_disposed || _failure is not null)
                {
                    return;
                }

                // What was appended after the snapshot was taken, in order, after it.
                length += CopyRange(_handle, mark, _length, next, length);
                RandomAccess.FlushToDisk(next);
                File.Move(temporary, _path, overwrite: true);
                _handle.Dispose();
                _handle = next;
                switched = true;
                _length = length;
                _durable = _appended;
                _compactAt = Math.Max(_minCompactionBytes, 2 * length);
                _compactions++;
            }

            DurableFiles.FlushDirectory(Path.GetDirectoryName(_path)!);
        }
        finally
        {
            if (!switched)
            {
                next.Dispose();
                File.Delete(temporary);
            }
        }
    }

    private static long WriteSnapshot(SafeFileHandle file, IReadOnlyList<StoredValue> live)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        long written = 0;
        buffer.Write(Magic);
        foreach (var value in live)
        {
            var size = RecordPrefixSize + ValueFixedSize + value.Size;
            WriteValue(
                buffer.GetSpan(size)[..size], value.Key, value.Value, value.Origin,
                value.PublishedAt.UtcTicks, value.ReceivedAt.UtcTicks, value.ExpiresAt.UtcTicks);
            buffer.Advance(size);
            if (buffer.WrittenCount >= 1 << 20)
            {
                RandomAccess.Write(file, buffer.WrittenSpan, written);
                written += buffer.WrittenCount;
                buffer.ResetWrittenCount();
            }
        }

        RandomAccess.Write(file, buffer.WrittenSpan, written);
        return written + buffer.WrittenCount;
    }

    private static long CopyRange(SafeFileHandle from, long start, long end, SafeFileHandle to, long at)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var copied = 0L;
            while (start + copied < end)
            {
                var chunk = (int)Math.Min(buffer.Length, end - start - copied);
                var read = RandomAccess.Read(from, buffer.AsSpan(0, chunk), start + copied);
                if (read <= 0)
                {
                    throw new IOException("The value log ended while being copied.");
                }

                RandomAccess.Write(to, buffer.AsSpan(0, read), at + copied);
                copied += read;
            }

            return copied;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void WriteValue(Span<byte> record, NodeId key, DhtValue value, ValueOrigin origin, long publishedTicks, long receivedTicks, long expiresTicks)
    {
        var payload = record[RecordPrefixSize..];
        payload[0] = ValueKind;
        key.WriteTo(payload[1..]);
        payload[1 + NodeId.ByteLength] = (byte)origin;
        var times = payload[(2 + NodeId.ByteLength)..];
        BinaryPrimitives.WriteInt64LittleEndian(times, publishedTicks);
        BinaryPrimitives.WriteInt64LittleEndian(times[8..], receivedTicks);
        BinaryPrimitives.WriteInt64LittleEndian(times[16..], expiresTicks);
        value.Encoded.Span.CopyTo(payload[ValueFixedSize..]);
        Seal(record);
    }

    /// <summary>Fills in the length and checksum of a record whose payload is written.</summary>
    private static void Seal(Span<byte> record)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(record.Length - RecordPrefixSize));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Checksum(record[..4], record[RecordPrefixSize..]));
    }

    internal static uint Checksum(ReadOnlySpan<byte> length, ReadOnlySpan<byte> payload) =>
        ~Crc32C.Append(Crc32C.Append(~0u, length), payload);

    /// <summary>Parses a record's payload: a key's new state (<paramref name="value"/>), or its removal (null).</summary>
    internal static bool TryParse(ReadOnlySpan<byte> payload, out NodeId key, out StoredValue? value)
    {
        key = NodeId.FromBytes(payload.Slice(1, NodeId.ByteLength));
        value = null;
        switch (payload[0])
        {
            case RemovalKind when payload.Length == RemovalSize:
                return true;
            case ValueKind when payload.Length > ValueFixedSize:
                var origin = (ValueOrigin)payload[1 + NodeId.ByteLength];
                if (!Enum.IsDefined(origin) || !DhtValue.TryDecode(payload[ValueFixedSize..], out var decoded))
                {
                    return false;
                }

                var times = payload[(2 + NodeId.ByteLength)..];
                if (!TryTime(times, out var published) || !TryTime(times[8..], out var received) || !TryTime(times[16..], out var expires))
                {
                    return false;
                }

                value = new StoredValue(key, decoded, origin, published, received, expires, null);
                return true;
            default:
                return false;
        }
    }

    private static bool TryTime(ReadOnlySpan<byte> bytes, out DateTimeOffset time)
    {
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        if (ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            time = default;
            return false;
        }

        time = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }
}

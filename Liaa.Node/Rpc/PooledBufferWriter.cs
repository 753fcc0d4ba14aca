using System.Buffers;

namespace Liaa.Node.Rpc;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over pooled arrays, for encoding one datagram; dispose to return the array. A thread
/// keeps one for its next datagram (<see cref="Take"/>, <see cref="Keep"/>): a request and a reply are encoded and,
/// over UDP and in memory, sent before their thread goes on, so neither costs a writer.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    /// <summary>A writer is kept for its thread only while its array is this small (a large value grew it).</summary>
    internal const int MaxKeptCapacity = 4096;

    // The thread's writer for its next datagram; null while one is taken.
    [ThreadStatic]
    private static PooledBufferWriter? t_kept;

    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>The thread's kept writer, emptied, or a new one when it has none (one is taken already, further up its stack).</summary>
    public static PooledBufferWriter Take()
    {
        var writer = t_kept;
        if (writer is null)
        {
            return new PooledBufferWriter();
        }

        t_kept = null;
        writer.Reset();
        return writer;
    }

    /// <summary>
    /// Done with <paramref name="writer"/> (its datagram sent): kept for this thread's next one, unless the thread keeps
    /// one already (a datagram sent while another was being written, as in memory, where a send serves the request and
    /// sends its reply on the same thread) or the writer grew past <see cref="MaxKeptCapacity"/>; then disposed.
    /// </summary>
    public static void Keep(PooledBufferWriter writer)
    {
        if (t_kept is null && writer.Capacity <= MaxKeptCapacity)
        {
            t_kept = writer;
        }
        else
        {
            writer.Dispose();
        }
    }

    /// <summary>Whether this thread keeps a writer (for tests).</summary>
    internal static bool ThreadKeepsOne => t_kept is not null;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    /// <summary>The length of the array written into.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Forgets what was written, keeping the array.</summary>
    public void Reset() => _written = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}

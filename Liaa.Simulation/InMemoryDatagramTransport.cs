using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Liaa.Node.Rpc;

/// <summary>
/// An endpoint bound on an <see cref="InMemoryNetwork"/>: the same contract as a UDP socket, with
/// datagrams waiting in a bounded queue until received. Created by <see cref="InMemoryNetwork.Bind"/>;
/// disposing it unbinds the endpoint, so later datagrams to it vanish.
/// </summary>
public sealed class InMemoryDatagramTransport : IDatagramTransport, IQueuedDatagramSource
{
    private readonly InMemoryNetwork _network;
    private readonly Channel<Inbound> _inbox;
    private int _disposed;

    internal InMemoryDatagramTransport(InMemoryNetwork network, IPEndPoint local, int queueCapacity)
    {
        _network = network;
        LocalEndPoint = local;

        // Continuations never run inline: the network delivers under its lock.
        _inbox = Channel.CreateBounded<Inbound>(new BoundedChannelOptions(queueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams delivered and not yet received.</summary>
    public int QueuedCount => _inbox.Reader.Count;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _network.Send(LocalEndPoint, datagram.Span, remote);
        return ValueTask.CompletedTask;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var reader = _inbox.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.TryRead(out var item))
            {
                // Like a UDP socket: a datagram longer than the buffer is truncated.
                var length = Math.Min(item.Length, buffer.Length);
                item.Buffer.AsSpan(0, length).CopyTo(buffer.Span);
                ArrayPool<byte>.Shared.Return(item.Buffer);
                return new ReceivedDatagram(length, item.From);
            }
        }

        throw new ObjectDisposedException(nameof(InMemoryDatagramTransport));
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _network.Unbind(this);
            _inbox.Writer.TryComplete();
            while (_inbox.Reader.TryRead(out var item))
            {
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }
        }

        return ValueTask.CompletedTask;
    }

    ValueTask<bool> IQueuedDatagramSource.WaitToReadAsync(CancellationToken cancellationToken) =>
        _inbox.Reader.WaitToReadAsync(cancellationToken);

    bool IQueuedDatagramSource.TryRead(out byte[] pooledBuffer, out int length, out IPEndPoint remote)
    {
        if (_inbox.Reader.TryRead(out var item))
        {
            (pooledBuffer, length, remote) = (item.Buffer, item.Length, item.From);
            return true;
        }

        (pooledBuffer, length, remote) = ([], 0, LocalEndPoint);
        return false;
    }

    internal bool TryEnqueue(Inbound datagram) => _inbox.Writer.TryWrite(datagram);

    internal readonly record struct Inbound(byte[] Buffer, int Length, IPEndPoint From);
}

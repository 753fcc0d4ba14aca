using System.Collections.Concurrent;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

/// <summary>
/// A thread keeps one <see cref="PooledBufferWriter"/> for its next datagram, request or reply: taking it empties the
/// thread's slot, a writer taken while one is out is another, and done with, a writer goes back to the slot unless the
/// slot is full or the writer grew large. The server's replies use it too: the receive thread serving a request inline
/// keeps the reply's writer for the next.
/// </summary>
public sealed class KeptWriterTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 8468);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.2"), 8468);
    private static readonly NodeId ServerId = NodeId.FromKey("kept-writer-server");
    private static readonly NodeId ClientId = NodeId.FromKey("kept-writer-client");

    [Fact]
    public void ATakenWriter_KeptAgain_IsTheThreadsNextOne_Emptied_AndOnlyOneIsKept()
    {
        // A thread of its own: a thread-pool thread may keep a writer from another test.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var first = PooledBufferWriter.Take();
                first.GetSpan(10)[0] = 1;
                first.Advance(10);
                var nested = PooledBufferWriter.Take();
                Assert.NotSame(first, nested);

                PooledBufferWriter.Keep(first);
                Assert.True(PooledBufferWriter.ThreadKeepsOne);
                PooledBufferWriter.Keep(nested);
                Assert.Throws<ObjectDisposedException>(() => nested.GetSpan());

                var again = PooledBufferWriter.Take();
                Assert.Same(first, again);
                Assert.Equal(0, again.WrittenCount);
                Assert.False(PooledBufferWriter.ThreadKeepsOne);

                again.GetSpan(PooledBufferWriter.MaxKeptCapacity + 1);
                PooledBufferWriter.Keep(again);
                Assert.False(PooledBufferWriter.ThreadKeepsOne);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

    [Fact]
    public async Task TheReceiveThread_ServingARequest_KeepsTheRepliesWriter()
    {
        await using var transport = new BlockingTestTransport(ServerAddress);
        await using var server = new RpcEndpoint(transport, new RpcOptions(), new FakeTimeProvider());
        server.Start(new TestHandler(ServerId));

        transport.Deliver(HandBuilt.Ping(Enumerable.Repeat((byte)1, 20).ToArray(), ClientId), ClientAddress);
        var reply = await transport.Sent.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Bounded();
        Assert.Equal(ClientAddress, reply.Remote);
        transport.Deliver(HandBuilt.Ping(Enumerable.Repeat((byte)2, 20).ToArray(), ClientId), ClientAddress);
        await transport.Sent.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Bounded();

        // The receive thread's slot as each receive began: empty at first, then holding the writer of the reply just sent.
        var kept = await transport.KeptAtReceives.Take(3).ToArrayAsync(TestContext.Current.CancellationToken).AsTask().Bounded();
        Assert.Equal([false, true, true], kept);
    }

    /// <summary>
    /// A transport whose receiving blocks, like UDP's (so the endpoint serves on its receive thread), fed by the test;
    /// it notes at each receive whether the receiving thread keeps a writer.
    /// </summary>
    private sealed class BlockingTestTransport(IPEndPoint local) : IDatagramTransport, IBlockingDatagramSource
    {
        private readonly BlockingCollection<(byte[] Datagram, IPEndPoint? Remote)> _incoming = [];

        public System.Threading.Channels.Channel<(byte[] Datagram, IPEndPoint Remote)> Sent { get; } =
            System.Threading.Channels.Channel.CreateUnbounded<(byte[] Datagram, IPEndPoint Remote)>();

        public KeptAtReceivesLog KeptAtReceives { get; } = new();

        public IPEndPoint LocalEndPoint => local;

        public Action<Exception>? GatheredSendFailed { private get; set; }

        public void Deliver(byte[] datagram, IPEndPoint remote) => _incoming.Add((datagram, remote));

        public int Receive(Span<byte> buffer, out IPEndPoint? remote)
        {
            KeptAtReceives.Add(PooledBufferWriter.ThreadKeepsOne);
            var (datagram, from) = _incoming.Take();
            datagram.CopyTo(buffer);
            remote = from;
            return datagram.Length;
        }

        public void WakeReceiver() => _incoming.Add(([], null));

        public void EndReceiving()
        {
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
        {
            Sent.Writer.TryWrite((datagram.ToArray(), remote));
            return ValueTask.CompletedTask;
        }

        public ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The endpoint receives on its thread.");

        public ValueTask DisposeAsync()
        {
            _incoming.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>What each receive saw, read by the test as it arrives.</summary>
    private sealed class KeptAtReceivesLog
    {
        private readonly System.Threading.Channels.Channel<bool> _seen = System.Threading.Channels.Channel.CreateUnbounded<bool>();

        public void Add(bool kept) => _seen.Writer.TryWrite(kept);

        public IAsyncEnumerable<bool> Take(int count) => _seen.Reader.ReadAllAsync(TestContext.Current.CancellationToken).Take(count);
    }
}

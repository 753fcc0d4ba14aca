using System.Net;
using System.Net.Sockets;
using Liaa.Node.Rpc;

namespace Liaa.Tests.Rpc;

/// <summary>
/// The UDP transport's receive thread over <c>recvmmsg</c>/<c>sendmmsg</c> (Linux): a burst queued in the socket comes out
/// whole, each datagram with its own source and bytes, and what the receive thread sends is gathered until it waits
/// again or ends. Elsewhere the same calls take the one-datagram path, which these tests cover as well.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UdpBatchingTests
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Burst_LargerThanOneBatch_ComesOutWhole_WithEachDatagramsSource()
    {
        await using var transport = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IBlockingDatagramSource source = transport;
        using var first = Peer();
        using var second = Peer();
        using var third = Peer();
        var peers = new[] { first, second, third };

        // Queued in the socket before anything receives: more than one batch, and a maximum-size datagram among them.
        var sent = new List<(byte[] Payload, IPEndPoint From)>();
        for (var i = 0; i < (2 * MultiMessageSocket.Capacity) + 5; i++)
        {
            var peer = peers[i % peers.Length];
            var payload = Enumerable.Range(0, i == 20 ? 65_507 : 10 + i).Select(b => (byte)(b + i)).ToArray();
            peer.SendTo(payload, transport.LocalEndPoint);
            sent.Add((payload, (IPEndPoint)peer.LocalEndPoint!));
        }

        var buffer = new byte[MultiMessageSocket.SlotSize];
        await OnThread(() =>
        {
            try
            {
                foreach (var (payload, from) in sent)
                {
                    var length = ReceiveOne(source, buffer, out var remote);
                    Assert.Equal(from, remote);
                    Assert.Equal(payload, buffer.AsSpan(0, length).ToArray());
                }
            }
            finally
            {
                source.EndReceiving();
            }
        });
    }

    [Fact]
    public async Task SendsOfTheReceiveThread_LeaveBeforeItWaitsAgain_AndWhenItEnds_OtherThreadsSendAtOnce()
    {
        await using var transport = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IBlockingDatagramSource source = transport;
        var failures = new List<Exception>();
        source.GatheredSendFailed = failures.Add;
        using var peer = Peer();
        var peerAt = (IPEndPoint)peer.LocalEndPoint!;
        var buffer = new byte[MultiMessageSocket.SlotSize];

        // The receive side runs on a thread of its own, as the endpoint's does: a pool thread could come back as "another".
        await OnThread(() =>
        {
            peer.SendTo([1], transport.LocalEndPoint);
            ReceiveOne(source, buffer, out _);
            transport.Send([10], peerAt);
            transport.Send([11], peerAt);
            if (OperatingSystem.IsLinux() && Environment.Is64BitProcess)
            {
                // On loopback a datagram sent is already in the receiver's queue when the call returns: none is.
                Assert.Equal(0, peer.Available);
            }

            // Another thread's send is not held back by the receive thread's batch.
            var other = new Thread(() => transport.Send([20], peerAt));
            other.Start();
            other.Join();
            Assert.Equal([20], ReceiveAtPeer(peer));

            // The receive thread's next receive sends what it gathered first.
            peer.SendTo([2], transport.LocalEndPoint);
            ReceiveOne(source, buffer, out _);
            Assert.Equal([10], ReceiveAtPeer(peer));
            Assert.Equal([11], ReceiveAtPeer(peer));

            // So does its end.
            transport.Send([12], peerAt);
            source.EndReceiving();
            Assert.Equal([12], ReceiveAtPeer(peer));
        });
        Assert.Empty(failures);
    }

    [Fact]
    public async Task MoreSendsThanABatch_FromTheReceiveThread_AllLeave_InOrder()
    {
        await using var transport = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IBlockingDatagramSource source = transport;
        using var peer = Peer();
        var peerAt = (IPEndPoint)peer.LocalEndPoint!;
        var buffer = new byte[MultiMessageSocket.SlotSize];

        var count = (3 * MultiMessageSocket.Capacity) + 1;
        await OnThread(() =>
        {
            peer.SendTo([1], transport.LocalEndPoint);
            ReceiveOne(source, buffer, out _);
            for (var i = 0; i < count; i++)
            {
                transport.Send([(byte)i], peerAt);
            }

            source.EndReceiving();
        });
        for (var i = 0; i < count; i++)
        {
            Assert.Equal([(byte)i], ReceiveAtPeer(peer));
        }
    }

    private static Task OnThread(Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    private static Socket Peer()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveTimeout = (int)PeerTimeout.TotalMilliseconds,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static byte[] ReceiveAtPeer(Socket peer)
    {
        var buffer = new byte[70_000];
        var length = peer.Receive(buffer);
        return buffer[..length];
    }

    // A receive returns empty-handed after its timeout (1 s); a datagram already queued comes at once.
    private static int ReceiveOne(IBlockingDatagramSource source, Span<byte> buffer, out IPEndPoint remote)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var length = source.Receive(buffer, out var from);
            if (from is not null)
            {
                remote = from;
                return length;
            }
        }

        throw new TimeoutException("no datagram came");
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

[Trait("Category", "Integration")]
public sealed class UdpRpcTests
{
    private static readonly NodeId ServerId = NodeId.FromKey("udp-server");
    private static readonly NodeId ClientId = NodeId.FromKey("udp-client");

    /// <summary>Server bind address, client bind address; "::" is a dual-stack socket.</summary>
    public static TheoryData<string, string> Pairs => new()
    {
        { "127.0.0.1", "127.0.0.1" },
        { "::1", "::1" },
        { "::", "127.0.0.1" },
        { "::", "::1" },
        { "127.0.0.1", "::" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Endpoints_RoundTripPingFindNodeAndStun_OverRealUdp(string serverBind, string clientBind)
    {
        await using var serverTransport = BindOrSkip(serverBind);
        await using var clientTransport = BindOrSkip(clientBind);
        var contacts = new[] { new Contact(NodeId.FromKey("c"), new IPEndPoint(IPAddress.Parse("192.0.2.7"), 8468)) };
        var handler = new TestHandler(ServerId) { Contacts = contacts };
        await using var server = new RpcEndpoint(serverTransport, new RpcOptions(), TimeProvider.System);
        await using var client = new RpcEndpoint(clientTransport, new RpcOptions(), TimeProvider.System);
        server.Start(handler);
        client.Start(new TestHandler(ClientId));

        // Each side is reached at the loopback of the family the other side speaks.
        var ipv4 = clientBind == "127.0.0.1" || serverBind == "127.0.0.1";
        var loopback = ipv4 ? IPAddress.Loopback : IPAddress.IPv6Loopback;
        var serverAt = new IPEndPoint(loopback, serverTransport.LocalEndPoint.Port);
        var clientSeenAs = new IPEndPoint(loopback, clientTransport.LocalEndPoint.Port);
        var ct = TestContext.Current.CancellationToken;

        var ping = await client.SendAsync(serverAt, new PingRequest(ClientId), cancellationToken: ct).Bounded();
        var findNode = await client.SendAsync(serverAt, new FindNodeRequest(ClientId, ServerId), cancellationToken: ct).Bounded();
        var stun = await client.SendAsync(serverAt, new StunRequest(), cancellationToken: ct).Bounded();

        Assert.Equal((RpcStatus.Ok, new PingResponse(ServerId)), (ping.Status, ping.Response));
        Assert.True(ping.PeerIsLiaa);
        Assert.Equal(contacts, Assert.IsType<FindNodeResponse>(findNode.Response).Contacts);
        Assert.Equal(clientSeenAs, Assert.IsType<StunResponse>(stun.Response).EndPoint);
        Assert.All(handler.Received, r => Assert.Equal(clientSeenAs, r.Context.Remote));
        Assert.Equal(3, handler.Received.Count);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Endpoint_AnswersAHandBuiltPythonPing_WithExactlyThePythonBytes(string address)
    {
        await using var serverTransport = BindOrSkip(address);
        await using var server = new RpcEndpoint(serverTransport, new RpcOptions(), TimeProvider.System);
        server.Start(new TestHandler(ServerId));
        var ip = IPAddress.Parse(address);
        using var socket = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(ip, 0));
        var id = HandBuilt.PythonId(5);
        var ct = TestContext.Current.CancellationToken;

        await socket.SendToAsync(HandBuilt.Ping(id, ClientId), SocketFlags.None, serverTransport.LocalEndPoint, ct);
        var buffer = new byte[2048];
        var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(ip, 0), ct).AsTask().Bounded();

        Assert.Equal([0x01, .. id, 0xc4, 0x14, .. ServerId.ToByteArray()], buffer[..received.ReceivedBytes]);
        Assert.Equal(serverTransport.LocalEndPoint, received.RemoteEndPoint);
    }

    [Fact]
    public async Task DualStackTransport_ReportsIPv4PeersAsIPv4_AndReusesTheirEndPoint()
    {
        await using var transport = BindOrSkip("::");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var to = new IPEndPoint(IPAddress.Loopback, transport.LocalEndPoint.Port);
        var ct = TestContext.Current.CancellationToken;
        var buffer = new byte[100];

        await socket.SendToAsync(new byte[] { 1, 2 }, SocketFlags.None, to, ct);
        await socket.SendToAsync(new byte[] { 3 }, SocketFlags.None, to, ct);
        var first = await transport.ReceiveAsync(buffer, ct).AsTask().Bounded();
        var second = await transport.ReceiveAsync(buffer, ct).AsTask().Bounded();

        Assert.True(transport.IsDualStack);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)socket.LocalEndPoint!).Port), first.Remote);
        Assert.Equal(AddressFamily.InterNetwork, first.Remote.AddressFamily);
        Assert.Equal((2, 1), (first.Length, second.Length));
        Assert.Same(first.Remote, second.Remote);
    }

    [Fact]
    public async Task Transport_KeepsReceiving_AfterSendingToAClosedPort()
    {
        await using var transport = BindOrSkip("127.0.0.1");
        await using var peer = BindOrSkip("127.0.0.1");
        IPEndPoint closed;
        using (var gone = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            gone.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closed = (IPEndPoint)gone.LocalEndPoint!;
        }

        var ct = TestContext.Current.CancellationToken;

        // Each of these draws an ICMP port unreachable, which some stacks report on the next socket call.
        for (var i = 0; i < 3; i++)
        {
            await transport.SendAsync(new byte[] { 0 }, closed, ct);
        }

        await peer.SendAsync(new byte[] { 42 }, transport.LocalEndPoint, ct);
        var buffer = new byte[10];
        var received = await transport.ReceiveAsync(buffer, ct).AsTask().Bounded();

        Assert.Equal((1, (byte)42), (received.Length, buffer[0]));
        Assert.Equal(peer.LocalEndPoint, received.Remote);
    }

    [Fact]
    public async Task SendAsync_ReturnsError_WhenTheTransportCannotReachTheAddressFamily()
    {
        await using var transport = BindOrSkip("127.0.0.1");
        await using var client = new RpcEndpoint(transport, new RpcOptions(), TimeProvider.System);
        client.Start(new TestHandler(ClientId));

        var result = await client.SendAsync(new IPEndPoint(IPAddress.IPv6Loopback, 8468), new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();

        Assert.Equal(RpcStatus.Error, result.Status);
        Assert.Equal((1, 1), (client.Counters.Snapshot().SendErrors, client.Counters.Snapshot().CallsFailed));
        Assert.Equal(0, client.PendingCallCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Store_IsServedOnTheReceiveThread_OnlyWhenTheEndpointSaysStoresTouchNoDisk(bool inline)
    {
        await using var serverTransport = BindOrSkip("127.0.0.1");
        await using var clientTransport = BindOrSkip("127.0.0.1");
        var servedOn = new ConcurrentDictionary<RpcMethod, (string? Name, bool Pool)>();
        var handler = new TestHandler(ServerId);
        handler.Override = (request, context, _) =>
        {
            servedOn[request.Method] = (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread);
            RpcResponse response = request is StoreRequest ? new StoreResponse(true) : new PingResponse(ServerId);
            return ValueTask.FromResult<RpcResponse?>(response);
        };
        await using var server = new RpcEndpoint(serverTransport, new RpcOptions(), TimeProvider.System) { ServesStoresInline = inline };
        await using var client = new RpcEndpoint(clientTransport, new RpcOptions(), TimeProvider.System);
        server.Start(handler);
        client.Start(new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        var ping = await client.SendAsync(serverTransport.LocalEndPoint, new PingRequest(ClientId), cancellationToken: ct).Bounded();
        var store = await client.SendAsync(serverTransport.LocalEndPoint, new StoreRequest(ClientId, NodeId.FromKey("k"), DhtValue.FromString("v")), cancellationToken: ct).Bounded();

        Assert.Equal((RpcStatus.Ok, RpcStatus.Ok), (ping.Status, store.Status));
        Assert.Equal(("Liaa RPC receive", false), servedOn[RpcMethod.Ping]);
        Assert.Equal(inline, servedOn[RpcMethod.Store] == ("Liaa RPC receive", false));
        Assert.Equal(!inline, servedOn[RpcMethod.Store].Pool);
    }

    [Fact]
    public async Task Ping_IsAnswered_WhileQueuedStoresHoldEveryServingSlot_AndOneStoreMoreIsRefused()
    {
        // Over UDP a PING is served on the receive thread and a STORE waits for the thread pool; a pool that falls
        // behind (a busy machine, a STORE flood within its source's burst) must not make another peer's PING go unanswered.
        await using var serverTransport = BindOrSkip("127.0.0.1");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler(ServerId)
        {
            Override = async (request, _, ct) =>
            {
                if (request is not StoreRequest)
                {
                    return new PingResponse(ServerId);
                }

                await release.Task.WaitAsync(ct);
                return new StoreResponse(true);
            },
        };
        var observer = new RecordingObserver();
        await using var server = new RpcEndpoint(serverTransport, new RpcOptions { MaxConcurrentRequests = 2 }, TimeProvider.System) { Observer = observer };
        server.Start(handler);
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var ct = TestContext.Current.CancellationToken;

        for (byte i = 1; i <= 2; i++)
        {
            await flooder.SendToAsync(Store(HandBuilt.PythonId(i)), SocketFlags.None, serverTransport.LocalEndPoint, ct);
            Assert.Equal(RpcMethod.Store, await observer.NextServedAsync());
        }

        await flooder.SendToAsync(Store(HandBuilt.PythonId(3)), SocketFlags.None, serverTransport.LocalEndPoint, ct);
        Assert.Equal(DropReason.Overloaded, await observer.NextDropAsync());
        var pingId = HandBuilt.PythonId(9);
        await client.SendToAsync(HandBuilt.Ping(pingId, ClientId), SocketFlags.None, serverTransport.LocalEndPoint, ct);
        var buffer = new byte[2048];
        var received = await client.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, 0), ct).AsTask().Bounded();

        Assert.Equal(HandBuilt.PingResponse(pingId, ServerId), buffer[..received.ReceivedBytes]);
        release.SetResult();
        for (var i = 0; i < 2; i++)
        {
            await flooder.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, 0), ct).AsTask().Bounded();
        }

        await server.StopAsync().Bounded();
        var counters = server.Counters.Snapshot();
        Assert.Equal(1, counters.Drops[DropReason.Overloaded]);
        Assert.Equal(3, counters.RequestsServed);
    }

    private static byte[] Store(byte[] messageId)
    {
        var writer = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(writer, MessageId.Read(messageId), new StoreRequest(ClientId, NodeId.FromKey("k"), DhtValue.FromString("v")), header: null);
        return writer.WrittenSpan.ToArray();
    }

    private static UdpDatagramTransport BindOrSkip(string address)
    {
        try
        {
            return UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        }
        catch (SocketException ex) when (address.Contains(':'))
        {
            Assert.Skip($"IPv6 is not available here: {ex.SocketErrorCode}");
            throw;
        }
    }
}

using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

/// <summary>The RPC layer's limits: requests and STOREs per source, and replies bounded by their request (no amplification).</summary>
public sealed class RpcEndpointLimitsTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.4.0.1"), 8468);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.4.0.2"), 8468);
    private static readonly IPEndPoint FlooderAddress = new(IPAddress.Parse("10.4.0.3"), 8468);
    private static readonly NodeId ServerId = NodeId.FromKey("limited server");
    private static readonly NodeId ClientId = NodeId.FromKey("well-behaved client");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Flood_IsDroppedAsRateLimitedBeyondItsBurst_WhileAnotherSourceIsServed()
    {
        await using var net = new RpcTestNetwork();
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId), new RpcOptions { RequestRatePerSource = 1, RequestBurstPerSource = 3 });
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var flooder = net.Bind(FlooderAddress);

        for (var i = 0; i < 10; i++)
        {
            await flooder.SendAsync(HandBuilt.Ping(HandBuilt.PythonId((byte)i), NodeId.FromKey("flooder")), ServerAddress, Token);
        }

        // Served after the flood (one receive loop, first come first served), so the flood is counted by now.
        var ping = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: Token).Bounded();

        Assert.Equal(RpcStatus.Ok, ping.Status);
        Assert.Equal(7, server.Counters.Dropped(DropReason.RateLimited));
        Assert.Equal(4, server.Counters.Snapshot().RequestsReceived);
        // Requests are served concurrently, so their answers may come in any order: the first three, whatever the order.
        var replies = new List<byte[]>();
        for (var i = 0; i < 3; i++)
        {
            replies.Add(await flooder.ReceiveBytesAsync());
        }

        Assert.Equal(
            Enumerable.Range(0, 3).Select(i => Convert.ToHexString(HandBuilt.PingResponse(HandBuilt.PythonId((byte)i), ServerId))).Order(),
            replies.Select(Convert.ToHexString).Order());
    }

    [Fact]
    public async Task StoreFlood_IsLimitedSeparately_AndTheSameSourceIsStillAnsweredOtherwise()
    {
        await using var net = new RpcTestNetwork();
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId), new RpcOptions { StoreRatePerSource = 1, StoreBurstPerSource = 2 });
        var flooder = net.AddEndpoint(FlooderAddress, new TestHandler(ClientId));

        var stores = Enumerable.Range(0, 5).Select(i =>
            flooder.SendAsync(ServerAddress, new StoreRequest(ClientId, NodeId.FromKey($"k{i}"), DhtValue.FromInt64(i)), new RpcCallOptions { Timeout = TimeSpan.FromSeconds(1) }, Token)).ToArray();

        // The ping comes after the stores from the same source and is not a STORE: answered. The first two
        // stores took the burst (one receive loop, in order); their answers may still be on their way. (Waiting
        // for "any two" by polling which are done raced: the second could complete between the count and the
        // wait, leaving the wait on the three that only the clock ends.)
        Assert.Equal(RpcStatus.Ok, (await flooder.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: Token).Bounded()).Status);
        await Task.WhenAll(stores[..2]).Bounded();
        Assert.All(stores[2..], t => Assert.False(t.IsCompleted));

        net.Time.Advance(TimeSpan.FromSeconds(1));
        var results = await Task.WhenAll(stores).Bounded();

        Assert.Equal([RpcStatus.Ok, RpcStatus.Ok, RpcStatus.Timeout, RpcStatus.Timeout, RpcStatus.Timeout], results.Select(r => r.Status));
        Assert.Equal(3, server.Counters.Dropped(DropReason.StoreRateLimited));
    }

    [Fact]
    public async Task ReplayedRequest_IsDroppedAsDuplicate_WhileTheSameIdFromAnotherSourceIsServed()
    {
        await using var net = new RpcTestNetwork();
        var handler = new TestHandler(ServerId);
        var server = net.AddEndpoint(ServerAddress, handler);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var replayer = net.Bind(FlooderAddress);
        var other = net.Bind(new IPEndPoint(FlooderAddress.Address, 9999));
        var store = Encode(HandBuilt.PythonId(40), new StoreRequest(ClientId, NodeId.FromKey("replayed"), DhtValue.FromInt64(1)));

        await replayer.SendAsync(store, ServerAddress, Token);
        await replayer.SendAsync(store, ServerAddress, Token);
        await other.SendAsync(store, ServerAddress, Token);
        await replayer.SendAsync(store, ServerAddress, Token);

        // Served after the replays (one receive loop, in order), so they are counted by now.
        Assert.Equal(RpcStatus.Ok, (await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: Token).Bounded()).Status);
        Assert.Equal(2, server.Counters.Dropped(DropReason.DuplicateRequest));
        Assert.Equal(2, handler.Received.Count(r => r.Request is StoreRequest));
        Assert.Equal([FlooderAddress, other.LocalEndPoint], handler.Received.Where(r => r.Request is StoreRequest).Select(r => r.Context.Remote).Order(new EndPointOrder()));
    }

    [Fact]
    public void RecentRequestIds_RemembersTheLastCapacityRequests_PerSource()
    {
        var recent = new RecentRequestIds(capacity: 2);
        var id = MessageId.Read(HandBuilt.PythonId(1));

        Assert.True(recent.TryAdd(ServerAddress, id));
        Assert.False(recent.TryAdd(ServerAddress, id));
        Assert.True(recent.TryAdd(ClientAddress, id));
        Assert.True(recent.TryAdd(FlooderAddress, id));

        // The first is forgotten: the window is the last two requests.
        Assert.True(recent.TryAdd(ServerAddress, id));
    }

    [Fact]
    public async Task FindNodeReply_IsCutToItsBound_WhenTheHandlerOffersMoreContactsThanFit()
    {
        await using var net = new RpcTestNetwork();
        var offered = Contacts(60, i => new IPEndPoint(IPAddress.Parse($"10.5.{i}.{200 + (i % 50)}"), 40000 + i));
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId) { Contacts = offered });
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);

        var reply = await client.SendAsync(ServerAddress, new FindNodeRequest(ClientId, NodeId.FromKey("target")), cancellationToken: Token).Bounded();

        var contacts = Assert.IsType<FindNodeResponse>(reply.Response).Contacts;
        Assert.InRange(contacts.Count, 20, 59);
        Assert.Equal(offered.Take(contacts.Count), contacts);
        var bound = (77 * 10) + 1024;
        Assert.InRange(reply.ResponseBytes, bound - 60, bound);
        Assert.Equal(1, server.Counters.Snapshot().RepliesTrimmed);
    }

    [Fact]
    public async Task FindNodeReply_CarriesAllKContacts_EvenWithTheLongestIPv6Addresses()
    {
        await using var net = new RpcTestNetwork();
        var offered = Contacts(20, i => new IPEndPoint(IPAddress.Parse($"ffff:ffff:ffff:ffff:ffff:ffff:ffff:{0xff00 + i:x4}"), 65535));
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId) { Contacts = offered });
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));

        var reply = await client.SendAsync(ServerAddress, new FindValueRequest(ClientId, NodeId.FromKey("key")), cancellationToken: Token).Bounded();

        Assert.Equal(offered, Assert.IsType<FindValueResponse>(reply.Response).Contacts);
        Assert.Equal(0, server.Counters.Snapshot().RepliesTrimmed);
    }

    private static Contact[] Contacts(int count, Func<int, IPEndPoint> endPoint) =>
        [.. Enumerable.Range(0, count).Select(i => new Contact(NodeId.FromKey($"offered {i}"), endPoint(i)))];

    private static byte[] Encode(byte[] messageId, RpcRequest request)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(writer, MessageId.Read(messageId), request, header: null);
        return writer.WrittenSpan.ToArray();
    }

    private sealed class EndPointOrder : IComparer<IPEndPoint>
    {
        public int Compare(IPEndPoint? x, IPEndPoint? y) => string.CompareOrdinal(x?.ToString(), y?.ToString());
    }
}

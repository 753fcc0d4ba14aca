using System.Buffers;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;
using Liaa.Node;
using Liaa.Tests.Rpc;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Protocol;

/// <summary>
/// The node's defences seen from the wire: contacts learnt from third parties, lookups bounded in time,
/// values withheld from addresses that do not answer, an endpoint that changed hands.
/// </summary>
public sealed class ProtocolDefenceTests : IAsyncDisposable
{
    private static readonly IPEndPoint NodeAddress = new(IPAddress.Parse("10.7.0.1"), 8468);
    private static readonly IPEndPoint PeerAddress = new(IPAddress.Parse("10.7.0.2"), 8468);
    private static readonly IPEndPoint OtherAddress = new(IPAddress.Parse("10.7.0.3"), 8468);
    private static readonly IPEndPoint FlooderAddress = new(IPAddress.Parse("10.7.0.4"), 8468);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.7.0.5"), 8468);
    private static readonly NodeId PeerId = NodeId.FromKey("peer");

    private readonly List<IAsyncDisposable> _owned = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task ContactsNamedByAPeer_StayOutOfTheRoutingTable_UntilTheyAnswerThemselves()
    {
        // Nobody is bound at the invented addresses: the lookups' requests to them time out on the manual clock.
        Contact[] invented = [.. Enumerable.Range(0, 5).Select(i => new Contact(NodeId.FromKey($"invented {i}"), new IPEndPoint(IPAddress.Parse($"10.8.{i}.1"), 9000)))];
        var (runtime, network, time) = ManualNode(3);
        Peer(PeerAddress, new TestHandler(PeerId) { Contacts = invented }, network, time);

        var join = await SilentPeers.RunAsync(() => runtime.Join.JoinAsync([PeerAddress], [], Token), time, runtime.Options.Rpc.Timeout, () => runtime.Rpc.PendingCallCount, network);
        var lookup = () => runtime.Lookups.RunAsync(LookupKind.FindNode, NodeId.FromKey("anything"), Token);
        var closest = (await SilentPeers.RunAsync(lookup, time, runtime.Options.Rpc.Timeout, () => runtime.Rpc.PendingCallCount, network)).ClosestNodes;

        Assert.Equal(1, join.SeedsReached);
        Assert.Equal([new Contact(PeerId, PeerAddress)], runtime.Routing.GetAll());
        Assert.Equal([new Contact(PeerId, PeerAddress)], closest);
    }

    [Fact]
    public async Task Lookup_EndsAtMaxLookupDuration_WithWhatItHas_WhenPeersNeverAnswer()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(5));
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Peer(PeerAddress, new TestHandler(PeerId)
        {
            Override = (request, _, _) =>
            {
                asked.TrySetResult();
                return ValueTask.FromResult<RpcResponse?>(null);
            },
        }, network, time);
        var options = new LiaaNodeOptions { TimeProvider = time };
        options.Kademlia.MaxLookupDuration = TimeSpan.FromSeconds(2);
        var runtime = Runtime(options, network.Bind(NodeAddress), time);
        runtime.Routing.Observe(new Contact(PeerId, PeerAddress), time.GetUtcNow());

        var lookup = runtime.Lookups.RunAsync(LookupKind.FindNode, NodeId.FromKey("target"), Token);
        await asked.Task.Bounded();
        time.Advance(TimeSpan.FromSeconds(2));
        var result = await lookup.Bounded();

        Assert.True(result.DeadlineExceeded);
        Assert.Equal(1, result.NodesContacted);
        Assert.Empty(result.ClosestNodes);
    }

    public static TheoryData<int> FiftyRuns => [.. Enumerable.Range(0, 50)];

    /// <summary>
    /// Deterministic (manual clock, in-memory network), and repeated: it used to race the §2.5 hand-off, which
    /// sent the forged source the whole value as a STORE before or after the verification ping.
    /// </summary>
    [Theory]
    [MemberData(nameof(FiftyRuns))]
    public async Task LargeValue_GoesOnlyToARequesterThatAnswersAPingAsItself(int run)
    {
        var (runtime, network, _) = ManualNode(run);
        var key = NodeId.FromKey("large");
        var large = DhtValue.FromBytes(Enumerable.Range(0, 4000).Select(i => (byte)i).ToArray());
        Assert.True(runtime.Store.Put(key, large, ValueOrigin.Own, runtime.Time.GetUtcNow()).IsAccepted);

        // A forged request: its source never answers, so it gets a small ping and never the value, nor a
        // hand-off STORE (its claimed id is the only contact, so the key would be handed to it).
        var forged = Bind(OtherAddress, network);
        await forged.SendAsync(Encode(new FindValueRequest(PeerId, key)), NodeAddress, Token);
        var probe = await forged.ReceiveBytesAsync();
        Assert.Equal(new PingRequest(runtime.Self), DecodeRequest(probe));
        Assert.True(probe.Length < 100);

        var requesterId = NodeId.FromKey("requester");
        var requester = Peer(PeerAddress, new TestHandler(requesterId), network, runtime.Time);
        var reply = await requester.SendAsync(NodeAddress, new FindValueRequest(requesterId, key), cancellationToken: Token).Bounded();

        Assert.Equal(large, Assert.IsType<FindValueResponse>(reply.Response).Value);
        while (forged.QueuedCount > 0)
        {
            Assert.Equal(new PingRequest(runtime.Self), DecodeRequest(await forged.ReceiveBytesAsync()));
        }
    }

    [Fact]
    public async Task HandOff_SendsANewcomerNothingButAPing_UntilItAnswersAsItself()
    {
        var (runtime, network, time) = ManualNode(1);
        var key = NodeId.FromKey("handed off");
        var large = DhtValue.FromBytes(new byte[8000]);
        Assert.True(runtime.Store.Put(key, large, ValueOrigin.Own, time.GetUtcNow()).IsAccepted);

        // 50 bytes from a socket that never answers, with an id next to the key: a pong and one ping, 93 bytes.
        var silent = Bind(OtherAddress, network);
        var ping = HandBuilt.Ping(HandBuilt.PythonId(3), Near(key, 1));
        await silent.SendAsync(ping, NodeAddress, Token);
        byte[][] sent = [await silent.ReceiveBytesAsync(), await silent.ReceiveBytesAsync()];
        time.Advance(runtime.Options.Rpc.Timeout);
        await runtime.Background.WhenIdleAsync().Bounded();

        Assert.Equal(0, silent.QueuedCount);
        Assert.All(sent, datagram => Assert.True(datagram.Length < 100, $"{datagram.Length} bytes sent for a {ping.Length}-byte ping"));
        Assert.Contains(sent, datagram => DecodeRequest(datagram) == new PingRequest(runtime.Self));

        // A newcomer that answers as itself gets a key it is closest to, where the silent contact is not closer than this node.
        var near = Near(runtime.Self, 0x10);
        Assert.True(runtime.Store.Put(near, large, ValueOrigin.Own, time.GetUtcNow()).IsAccepted);
        var stored = new TaskCompletionSource<StoreRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var newcomer = new TestHandler(Near(near, 2));
        newcomer.Override = (request, _, _) =>
        {
            if (request is StoreRequest store)
            {
                stored.TrySetResult(store);
            }

            return ValueTask.FromResult<RpcResponse?>(request is StoreRequest ? new StoreResponse(true) : new PingResponse(newcomer.Id));
        };
        var peer = Peer(PeerAddress, newcomer, network, time);
        await peer.SendAsync(NodeAddress, new PingRequest(newcomer.Id), cancellationToken: Token).Bounded();

        var handedOff = await stored.Task.Bounded();
        Assert.Equal((near, large), (handedOff.Key, handedOff.Value));
        Assert.Equal(new PingRequest(runtime.Self), newcomer.Received.First().Request);
    }

    [Fact]
    public async Task HandOff_LeavesCachedCopiesOut()
    {
        var (runtime, network, time) = ManualNode(1);
        var own = NodeId.FromKey("own");
        var cached = NodeId.FromKey("cached");
        Assert.True(runtime.Store.Put(own, DhtValue.FromInt64(1), ValueOrigin.Own, time.GetUtcNow()).IsAccepted);
        Assert.True(runtime.Store.Put(cached, DhtValue.FromInt64(2), ValueOrigin.Cached, time.GetUtcNow(), TimeSpan.FromHours(1)).IsAccepted);
        var newcomer = new TestHandler(NodeId.FromKey("newcomer"));
        var peer = Peer(PeerAddress, newcomer, network, time);

        await peer.SendAsync(NodeAddress, new PingRequest(newcomer.Id), cancellationToken: Token).Bounded();
        await runtime.Background.WhenIdleAsync().Bounded();

        // The lone node is closest to every key and the newcomer one of the k closest: only the own value goes.
        Assert.Equal([own], newcomer.Received.Select(r => r.Request).OfType<StoreRequest>().Select(r => r.Key));
    }

    [Fact]
    public async Task UnverifiedLargeReads_HoldNoServingSlot_AndWaitingIsBoundedPerAddress()
    {
        const int slots = 16;
        var observer = new RecordingObserver();
        var (runtime, network, time) = ManualNode(1, options =>
        {
            options.Rpc.MaxConcurrentRequests = slots;
            options.Rpc.MaxPendingVerificationsPerAddress = 4;
        }, observer, out var handled);
        var key = NodeId.FromKey("large");
        Assert.True(runtime.Store.Put(key, DhtValue.FromBytes(new byte[8000]), ValueOrigin.Own, time.GetUtcNow()).IsAccepted);

        // A contact closer to the key than this node: no newcomer is owed the key, so only the reads wait for pings.
        runtime.Routing.Observe(new Contact(Near(key, 1), new IPEndPoint(IPAddress.Parse("10.7.0.9"), 8468)), time.GetUtcNow());

        // As many reads as there are serving slots, from one address that never answers, each claiming another id.
        var flooder = Bind(FlooderAddress, network);
        for (var i = 0; i < slots; i++)
        {
            await flooder.SendAsync(Encode(new FindValueRequest(NodeId.FromKey($"flooder {i}"), key), (byte)i), NodeAddress, Token);
        }

        await flooder.SendAsync(HandBuilt.PingResponse(HandBuilt.PythonId(99), PeerId), NodeAddress, Token);
        Assert.Equal(DropReason.UnexpectedResponse, await observer.NextDropAsync());
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(new PingRequest(runtime.Self), DecodeRequest(await flooder.ReceiveBytesAsync()));
        }

        // Each read waiting for its ping in a serving slot would never return, and each verified would wait in the
        // verifier. (The flooder may also get one more ping, in the background: the contact tracker asks the first
        // id that claimed the flooder's endpoint whether it still answers there, as it does for any id that takes
        // over an endpoint; under load it came before the reads were all handled, so no datagram count is asserted.)
        _ = flooder.ReceiveBytesAsync(); // takes that ping, so the last check below sees nothing else queued
        await handled.Task.Bounded();
        Assert.Equal(4, runtime.Verifier.Waiting);

        // A legitimate client keeps being answered (a dropped ping times out on its own, shorter timeout).
        var client = Peer(ClientAddress, new TestHandler(NodeId.FromKey("client")), network, time);
        var answered = 0;
        for (var i = 0; i < 20; i++)
        {
            var call = client.SendAsync(NodeAddress, new PingRequest(NodeId.FromKey("client")), new RpcCallOptions { Timeout = TimeSpan.FromSeconds(1) }, Token);
            if (await Task.WhenAny(call, observer.NextDropAsync()).Bounded() != call)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }

            answered += (await call.Bounded()).Status == RpcStatus.Ok ? 1 : 0;
        }

        Assert.True(answered >= 19, $"{answered} of 20 pings answered");
        Assert.Equal(0, flooder.QueuedCount);
    }

    [Fact]
    public async Task StoreFlood_FromManyPortsOfOneAddress_StopsAtTheAddressShare_AndTheOwnerStillPuts()
    {
        var (runtime, network, time) = ManualNode(1, options =>
        {
            options.Storage.MaxTotalBytes = 100_000;
            options.Storage.MaxBytesPerSource = 25_000;
        });
        var value = DhtValue.FromBytes(new byte[8000]);
        var accepted = 0;
        for (var port = 0; port < 40; port++)
        {
            var flooder = Bind(new IPEndPoint(IPAddress.Parse("10.7.9.9"), 20_000 + port), network);
            for (var i = 0; i < 3; i++)
            {
                var store = new StoreRequest(NodeId.FromKey($"flooder {port}"), NodeId.FromKey($"flood {port} {i}"), value);
                await flooder.SendAsync(Encode(store, (byte)((port * 3) + i)), NodeAddress, Token);
                accepted += (await ReceiveResponseAsync(flooder))[^1] == 0xc3 ? 1 : 0;
            }
        }

        // 25,000 bytes hold three 8,003-byte values, however many ports send them.
        Assert.Equal(3, accepted);
        Assert.Equal(StoreStatus.Stored, runtime.Store.Put(NodeId.FromKey("own"), value, ValueOrigin.Own, time.GetUtcNow()).Status);
        var honest = Bind(new IPEndPoint(IPAddress.Parse("10.7.10.1"), 8468), network);
        await honest.SendAsync(Encode(new StoreRequest(NodeId.FromKey("honest"), NodeId.FromKey("honest key"), value), 200), NodeAddress, Token);
        Assert.Equal(0xc3, (await ReceiveResponseAsync(honest))[^1]);
    }

    [Fact]
    public async Task NewIdAtAKnownEndPoint_TakesItOver_OnlyOnceTheOldIdNoLongerAnswersThere()
    {
        var (runtime, network, time) = ManualNode(3);
        var first = Peer(PeerAddress, new TestHandler(PeerId), network, time);
        await first.SendAsync(NodeAddress, new PingRequest(PeerId), cancellationToken: Token).Bounded();
        Assert.Equal([new Contact(PeerId, PeerAddress)], runtime.Routing.GetAll());

        // The peer restarts with a new id on the same endpoint: the node pings the old id there (background work,
        // started before the node answers the ping), and the new one answers.
        await StopAsync(PeerAddress);
        var restarted = NodeId.FromKey("peer, restarted");
        var second = Peer(PeerAddress, new TestHandler(restarted), network, time);
        await second.SendAsync(NodeAddress, new PingRequest(restarted), cancellationToken: Token).Bounded();
        await runtime.Background.WhenIdleAsync().Bounded();

        Assert.Equal([new Contact(restarted, PeerAddress)], runtime.Routing.GetAll());
    }

    /// <summary>A node on a manual clock and its own in-memory network; its background work is stopped with the test.</summary>
    private (NodeRuntime Runtime, InMemoryNetwork Network, FakeTimeProvider Time) ManualNode(int seed, Action<LiaaNodeOptions>? configure = null) =>
        ManualNode(seed, configure, null, out _);

    private (NodeRuntime Runtime, InMemoryNetwork Network, FakeTimeProvider Time) ManualNode(
        int seed, Action<LiaaNodeOptions>? configure, IRpcObserver? observer, out TaskCompletionSource handled)
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(seed));
        var options = new LiaaNodeOptions { TimeProvider = time, EndPoint = NodeAddress };
        configure?.Invoke(options);
        var transport = Bind(NodeAddress, network);
        var rpc = new RpcEndpoint(transport, options.Rpc, time) { Observer = observer };
        var runtime = new NodeRuntime(NodeId.FromKey("runtime"), options, new InMemoryValueStore(time, options.Storage), rpc, new NodeMetrics(), NullLogger.Instance);
        var counting = new CountingHandler(runtime.Handler, options.Rpc.MaxConcurrentRequests);
        handled = counting.AllHandled;
        rpc.Start(counting);
        _owned.Add(new Stopping(runtime));
        return (runtime, network, time);
    }

    private static NodeId Near(NodeId key, int lowBits)
    {
        var bytes = key.ToByteArray();
        bytes[^1] ^= (byte)lowBits;
        return NodeId.FromBytes(bytes);
    }

    /// <summary>The next response datagram, skipping requests (the node may ping a sender it has just met).</summary>
    private static async Task<byte[]> ReceiveResponseAsync(InMemoryDatagramTransport transport)
    {
        while (true)
        {
            var datagram = await transport.ReceiveBytesAsync();
            if (datagram[0] == 0x01)
            {
                return datagram;
            }
        }
    }

    private static RpcRequest? DecodeRequest(byte[] datagram) =>
        WireCodec.TryReadEnvelope(datagram, out var envelope, out _) && envelope.Kind == DatagramKind.Request
        && WireCodec.TryDecodeRequest(datagram.AsSpan(envelope.BodyOffset), envelope, out var request, out _) ? request : null;

    private NodeRuntime Runtime(LiaaNodeOptions options, IDatagramTransport transport, TimeProvider time)
    {
        var rpc = new RpcEndpoint(transport, options.Rpc, time);
        var runtime = new NodeRuntime(NodeId.FromKey("runtime"), options, new InMemoryValueStore(time, options.Storage), rpc, new NodeMetrics(), NullLogger.Instance);
        rpc.Start(runtime.Handler);
        _owned.Add(runtime.Rpc);
        return runtime;
    }

    private RpcEndpoint Peer(IPEndPoint address, IRpcHandler handler, InMemoryNetwork network, TimeProvider time)
    {
        var transport = network.Bind(address);
        var endpoint = new RpcEndpoint(transport, new RpcOptions { Timeout = TimeSpan.FromMilliseconds(300) }, time);
        endpoint.Start(handler);
        _owned.Add(new Owned(address, endpoint, transport));
        return endpoint;
    }

    private async Task StopAsync(IPEndPoint peer)
    {
        var owned = _owned.OfType<Owned>().Single(o => o.Address.Equals(peer));
        _owned.Remove(owned);
        await owned.DisposeAsync();
    }

    private InMemoryDatagramTransport Bind(IPEndPoint address, InMemoryNetwork network)
    {
        var transport = network.Bind(address);
        _owned.Add(transport);
        return transport;
    }

    private static byte[] Encode(RpcRequest request, byte seed = 9)
    {
        var writer = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(writer, MessageId.Read(HandBuilt.PythonId(seed)), request, header: null);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Counts the handler's find_value calls that returned; signals when <paramref name="expected"/> did.</summary>
    private sealed class CountingHandler(IRpcHandler inner, int expected) : IRpcHandler
    {
        private int _findValues;

        public TaskCompletionSource AllHandled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<RpcResponse?> HandleAsync(RpcRequest request, RpcRequestContext context, CancellationToken cancellationToken)
        {
            var response = await inner.HandleAsync(request, context, cancellationToken);
            if (request is FindValueRequest && Interlocked.Increment(ref _findValues) == expected)
            {
                AllHandled.TrySetResult();
            }

            return response;
        }
    }

    /// <summary>A manual node's endpoint and background work, stopped together.</summary>
    private sealed class Stopping(NodeRuntime runtime) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await runtime.Rpc.DisposeAsync();
            await runtime.Background.StopAsync();
        }
    }

    /// <summary>An endpoint and its transport, stopped and unbound together.</summary>
    private sealed class Owned(IPEndPoint address, RpcEndpoint endpoint, InMemoryDatagramTransport transport) : IAsyncDisposable
    {
        public IPEndPoint Address { get; } = address;

        public async ValueTask DisposeAsync()
        {
            await endpoint.DisposeAsync();
            await transport.DisposeAsync();
        }
    }
}

using System.Buffers;
using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;
using Liaa.Tests.Rpc;
using Microsoft.Extensions.Logging.Abstractions;

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
    private static readonly NodeId PeerId = NodeId.FromKey("peer");

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly InMemoryNetwork _network = new(TimeProvider.System, new Random(3));

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
        Contact[] invented = [.. Enumerable.Range(0, 5).Select(i => new Contact(NodeId.FromKey($"invented {i}"), new IPEndPoint(IPAddress.Parse($"10.8.{i}.1"), 9000)))];
        Peer(PeerAddress, new TestHandler(PeerId) { Contacts = invented });
        var node = await NodeAsync();

        var join = await node.BootstrapAsync([PeerAddress], Token);
        var closest = await node.FindClosestNodesAsync(NodeId.FromKey("anything"), Token);

        Assert.Equal(1, join.SeedsReached);
        Assert.Equal([new Contact(PeerId, PeerAddress)], node.GetContacts());
        Assert.Equal([new Contact(PeerId, PeerAddress)], closest);
    }

    [Fact]
    public async Task Lookup_EndsAtMaxLookupDuration_WithWhatItHas_WhenPeersNeverAnswer()
    {
        var time = new ManualTimeProvider();
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

    [Fact]
    public async Task LargeValue_GoesOnlyToARequesterThatAnswersAPingAsItself()
    {
        var node = await NodeAsync();
        var key = NodeId.FromKey("large");
        var large = DhtValue.FromBytes(Enumerable.Range(0, 4000).Select(i => (byte)i).ToArray());
        Assert.True((await node.PutAsync(key, large, Token)).IsAccepted);

        // A forged request: its source never answers, so it gets a small ping and never the value.
        var forged = Bind(OtherAddress);
        await forged.SendAsync(Encode(new FindValueRequest(PeerId, key)), NodeAddress, Token);
        var probe = await forged.ReceiveBytesAsync();
        Assert.True(WireCodec.TryReadEnvelope(probe, out var envelope, out _));
        Assert.True(WireCodec.TryDecodeRequest(probe.AsSpan(envelope.BodyOffset), envelope, out var request, out _));
        Assert.Equal(new PingRequest(node.Id), request);
        Assert.True(probe.Length < 100);

        var requester = Peer(PeerAddress, new TestHandler(PeerId));
        var reply = await requester.SendAsync(NodeAddress, new FindValueRequest(PeerId, key), cancellationToken: Token).Bounded();

        Assert.Equal(large, Assert.IsType<FindValueResponse>(reply.Response).Value);
    }

    [Fact]
    public async Task NewIdAtAKnownEndPoint_TakesItOver_OnlyOnceTheOldIdNoLongerAnswersThere()
    {
        var node = await NodeAsync();
        var first = Peer(PeerAddress, new TestHandler(PeerId));
        await first.SendAsync(NodeAddress, new PingRequest(PeerId), cancellationToken: Token).Bounded();
        Assert.Equal([new Contact(PeerId, PeerAddress)], node.GetContacts());

        // The peer restarts with a new id on the same endpoint: the node pings the old id there, and the new one answers.
        await StopAsync(PeerAddress);
        var restarted = NodeId.FromKey("peer, restarted");
        var second = Peer(PeerAddress, new TestHandler(restarted));
        await second.SendAsync(NodeAddress, new PingRequest(restarted), cancellationToken: Token).Bounded();

        await Eventually(() => node.GetContacts().SequenceEqual([new Contact(restarted, PeerAddress)]));
    }

    private async Task<LiaaNode> NodeAsync()
    {
        var options = new LiaaNodeOptions { EndPoint = NodeAddress, Transport = Bind(NodeAddress) };
        options.Rpc.Timeout = TimeSpan.FromMilliseconds(300);
        var node = await LiaaNode.StartAsync(options, cancellationToken: Token);
        _owned.Add(node);
        return node;
    }

    private NodeRuntime Runtime(LiaaNodeOptions options, IDatagramTransport transport, TimeProvider time)
    {
        var runtime = new NodeRuntime(NodeId.FromKey("runtime"), options, new InMemoryValueStore(time, options.Storage), new NodeMetrics(), NullLogger.Instance);
        runtime.Rpc = new RpcEndpoint(transport, runtime.Handler, options.Rpc, time);
        runtime.Rpc.Start();
        _owned.Add(runtime.Rpc);
        return runtime;
    }

    private RpcEndpoint Peer(IPEndPoint address, IRpcHandler handler, InMemoryNetwork? network = null, TimeProvider? time = null)
    {
        var transport = (network ?? _network).Bind(address);
        var endpoint = new RpcEndpoint(transport, handler, new RpcOptions { Timeout = TimeSpan.FromMilliseconds(300) }, time ?? TimeProvider.System);
        endpoint.Start();
        _owned.Add(new Owned(address, endpoint, transport));
        return endpoint;
    }

    private async Task StopAsync(IPEndPoint peer)
    {
        var owned = _owned.OfType<Owned>().Single(o => o.Address.Equals(peer));
        _owned.Remove(owned);
        await owned.DisposeAsync();
    }

    private InMemoryDatagramTransport Bind(IPEndPoint address)
    {
        var transport = _network.Bind(address);
        _owned.Add(transport);
        return transport;
    }

    private static byte[] Encode(RpcRequest request)
    {
        var writer = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(writer, MessageId.Read(HandBuilt.PythonId(9)), request, header: null);
        return writer.WrittenSpan.ToArray();
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Token);
        }

        Assert.True(condition());
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

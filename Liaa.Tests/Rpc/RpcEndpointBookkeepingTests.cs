using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

public sealed class RpcEndpointBookkeepingTests
{
    private static IPEndPoint Peer(int i) => new(IPAddress.Parse($"10.3.0.{i}"), 8468);

    [Fact]
    public void KnownLiaaPeers_ForgetsTheOldestMarked_WhenOverCapacity()
    {
        var peers = new KnownLiaaPeers(capacity: 2);

        peers.Add(Peer(1));
        peers.Add(Peer(2));
        peers.Add(Peer(1));
        peers.Add(Peer(3));

        Assert.False(peers.Contains(Peer(1)));
        Assert.True(peers.Contains(Peer(2)));
        Assert.True(peers.Contains(Peer(3)));
        Assert.Equal(2, peers.Count);
    }

    [Fact]
    public void KnownLiaaPeers_StaysBounded_WhenPeersComeAndGoRepeatedly()
    {
        var peers = new KnownLiaaPeers(capacity: 3);

        for (var round = 0; round < 1000; round++)
        {
            peers.Add(Peer(1));
            peers.Remove(Peer(1));
        }

        peers.Add(Peer(2));
        Assert.Equal(1, peers.Count);
        Assert.False(peers.Contains(Peer(1)));
    }

    [Fact]
    public void KnownLiaaPeers_KeepsItsOwnCopy_WhenTheCallerMutatesTheEndPoint()
    {
        var peers = new KnownLiaaPeers(capacity: 2);
        var endPoint = Peer(1);

        peers.Add(endPoint);
        endPoint.Port = 9999;

        Assert.True(peers.Contains(Peer(1)));
    }

    [Fact]
    public void CompletedCallIds_RemembersTheLastCapacityIds_Only()
    {
        var ids = new CompletedCallIds(capacity: 2);
        var random = new Random(3);
        var first = MessageId.NewLiaa(random);
        var second = MessageId.NewLiaa(random);
        var third = MessageId.NewLiaa(random);

        ids.Add(first);
        ids.Add(second);
        ids.Add(third);

        Assert.False(ids.Contains(first));
        Assert.True(ids.Contains(second));
        Assert.True(ids.Contains(third));
    }

    [Fact]
    public async Task StopAsync_ReturnsOneTask_ToEveryCaller_AndStartAfterStopThrows()
    {
        await using var net = new RpcTestNetwork();
        var endpoint = net.AddEndpoint(Peer(1), new TestHandler(NodeId.FromKey("x")));

        var first = endpoint.StopAsync();
        var second = endpoint.StopAsync();
        await first.Bounded();

        Assert.Same(first, second);
        Assert.Throws<InvalidOperationException>(() => endpoint.Start(new TestHandler(NodeId.FromKey("x"))));
    }

    [Fact]
    public void Constructor_NamesEveryInvalidOption_AtOnce()
    {
        var net = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        var options = new RpcOptions { Timeout = TimeSpan.Zero, MaxConcurrentRequests = 0, MaxPendingCalls = -1 };

        var error = Assert.Throws<ArgumentException>(() => new RpcEndpoint(net.Bind(Peer(1)), options, new FakeTimeProvider()));

        Assert.Contains("Timeout", error.Message);
        Assert.Contains("MaxConcurrentRequests", error.Message);
        Assert.Contains("MaxPendingCalls", error.Message);
    }
}

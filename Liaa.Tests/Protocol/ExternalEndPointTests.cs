using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Protocol;

/// <summary>
/// A node bound to 0.0.0.0 learns, on joining, the endpoint its peers see it at (<c>stun</c>): the address its
/// datagrams come from, which it cannot read off its socket. Here the in-memory transport is seen through a view
/// that reports the wildcard as its local address; the same on real interfaces is in <c>Hosts/NamespaceClusterTests</c>.
/// Every peer answers, so the manual clock never moves: no call can time out, however slow the machine.
/// </summary>
public sealed class ExternalEndPointTests
{
    private static readonly IPEndPoint SeedAddress = new(IPAddress.Parse("10.7.1.1"), 8468);
    private static readonly IPEndPoint NodeAddress = new(IPAddress.Parse("10.7.1.2"), 8468);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Join_LearnsTheEndPointThePeersSeeTheNodeAt()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(1));
        await using var seed = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SeedAddress), TimeProvider = time }, cancellationToken: Token);
        await using var node = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = new WildcardView(network.Bind(NodeAddress)), TimeProvider = time }, cancellationToken: Token);
        var before = node.ExternalEndPoint;

        var join = await node.BootstrapAsync([SeedAddress], Token);

        Assert.Null(before);
        Assert.True(join.IsJoined);
        Assert.Equal(NodeAddress, node.ExternalEndPoint);
        Assert.Null(seed.ExternalEndPoint);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task ClientNode_AndNodeBoundToAnAddress_DoNotAsk(bool isClient, bool isBoundToAnAddress)
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(2));
        var seedHandler = new Rpc.TestHandler(NodeId.FromKey("seed"));
        await using var seedTransport = network.Bind(SeedAddress);
        await using var seed = new RpcEndpoint(seedTransport, new RpcOptions(), time);
        seed.Start(seedHandler);
        await using IDatagramTransport transport = isBoundToAnAddress ? network.Bind(NodeAddress) : new WildcardView(network.Bind(NodeAddress));
        await using var node = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = transport, ClientMode = isClient, TimeProvider = time }, cancellationToken: Token);

        var join = await node.BootstrapAsync([SeedAddress], Token);

        Assert.True(join.IsJoined);
        Assert.Null(node.ExternalEndPoint);
        Assert.DoesNotContain(seedHandler.Received, r => r.Request is StunRequest);
    }

    /// <summary>A transport that says it is bound to 0.0.0.0 (on its port), as a wildcard-bound socket does.</summary>
    private sealed class WildcardView(IDatagramTransport inner) : IDatagramTransport
    {
        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Any, inner.LocalEndPoint.Port);

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken) =>
            inner.SendAsync(datagram, remote, cancellationToken);

        public ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

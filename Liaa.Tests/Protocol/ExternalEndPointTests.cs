using System.Net;
using Liaa.Node;
using Liaa.Node.Rpc;

namespace Liaa.Tests.Protocol;

/// <summary>
/// A node learns, on joining, the endpoint its peers see it at (<c>stun</c>): the address its datagrams come
/// from, which a node bound to 0.0.0.0 cannot read off its socket. The wildcard case on real interfaces is in
/// <c>Hosts/NamespaceClusterTests</c>.
/// </summary>
public sealed class ExternalEndPointTests
{
    private static readonly IPEndPoint SeedAddress = new(IPAddress.Parse("10.7.1.1"), 8468);
    private static readonly IPEndPoint NodeAddress = new(IPAddress.Parse("10.7.1.2"), 8468);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Join_LearnsTheEndPointThePeersSeeTheNodeAt()
    {
        var network = new InMemoryNetwork(TimeProvider.System, new Random(1));
        await using var seed = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SeedAddress) }, cancellationToken: Token);
        await using var node = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(NodeAddress) }, cancellationToken: Token);
        var before = node.ExternalEndPoint;

        var join = await node.BootstrapAsync([SeedAddress], Token);

        Assert.Null(before);
        Assert.True(join.IsJoined);
        Assert.Equal(NodeAddress, node.ExternalEndPoint);
        Assert.Null(seed.ExternalEndPoint);
    }

    [Fact]
    public async Task ClientNode_DoesNotAsk()
    {
        var network = new InMemoryNetwork(TimeProvider.System, new Random(2));
        await using var seed = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SeedAddress) }, cancellationToken: Token);
        await using var client = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(NodeAddress), ClientMode = true }, cancellationToken: Token);

        var join = await client.BootstrapAsync([SeedAddress], Token);

        Assert.True(join.IsJoined);
        Assert.Null(client.ExternalEndPoint);
    }
}

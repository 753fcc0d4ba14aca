using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

/// <summary>
/// Message ids are the only thing binding a response to its request (WIRE.md): they must not be guessable,
/// so they come from the operating system's cryptographic generator, never from the node's seedable
/// <see cref="Random"/> (which tests and simulations seed, and which an observer could reconstruct).
/// </summary>
public sealed class RpcMessageIdTests
{
    private static readonly IPEndPoint Silent = new(IPAddress.Parse("10.4.0.9"), 8468);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MessageIds_DoNotFollowTheNodesSeededRandom()
    {
        var time = new ManualTimeProvider();
        var network = new InMemoryNetwork(time, new Random(1));
        await using var silent = network.Bind(Silent);

        var first = await FirstRequestIdAsync(network, silent, time, new IPEndPoint(IPAddress.Parse("10.4.0.1"), 8468));
        var second = await FirstRequestIdAsync(network, silent, time, new IPEndPoint(IPAddress.Parse("10.4.0.2"), 8468));

        // Both nodes run on the same seed: equal ids would mean the ids follow it.
        Assert.True(first.IsLiaa);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task MessageIds_AreDistinct_AndTheirRandomBitsBalanced()
    {
        const int count = 4096;
        await using var net = new RpcTestNetwork();
        var silent = net.Bind(Silent);
        var endpoint = net.AddEndpoint(new IPEndPoint(IPAddress.Parse("10.4.0.1"), 8468), new TestHandler(NodeId.FromKey("ids")), new RpcOptions { MaxPendingCalls = count + 1 });
        using var stop = new CancellationTokenSource();
        var calls = Enumerable.Range(0, count).Select(_ => endpoint.SendAsync(Silent, new PingRequest(NodeId.FromKey("ids")), cancellationToken: stop.Token)).ToArray();

        var ids = new HashSet<MessageId>();
        var ones = new int[96];
        for (var i = 0; i < count; i++)
        {
            var bytes = HandBuilt.IdOf(await silent.ReceiveBytesAsync()).ToByteArray();
            for (var bit = 0; bit < 96; bit++)
            {
                ones[bit] += (bytes[8 + (bit / 8)] >> (bit % 8)) & 1;
            }

            ids.Add(MessageId.Read(bytes));
        }

        await stop.CancelAsync();
        await Task.WhenAll(calls).Bounded();

        Assert.Equal(count, ids.Count);

        // Each of the 96 random bits is set in half the ids: binomial(4096, 1/2) has a standard deviation of 32.
        Assert.All(ones, n => Assert.InRange(n, (count / 2) - (6 * 32), (count / 2) + (6 * 32)));
    }

    private static async Task<MessageId> FirstRequestIdAsync(InMemoryNetwork network, InMemoryDatagramTransport silent, ManualTimeProvider time, IPEndPoint address)
    {
        var options = new LiaaNodeOptions
        {
            EndPoint = address,
            Transport = network.Bind(address),
            TimeProvider = time,
            Random = new Random(42),
            NodeId = NodeId.FromKey("same seed"),
        };
        await using var node = await LiaaNode.StartAsync(options, cancellationToken: Token);
        var join = node.BootstrapAsync([Silent], Token);
        var id = HandBuilt.IdOf(await silent.ReceiveBytesAsync());
        await node.DisposeAsync();
        await join.Bounded();
        await options.Transport.DisposeAsync();
        return id;
    }
}

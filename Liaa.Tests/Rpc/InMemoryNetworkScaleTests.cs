using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

[Trait("Category", "Simulation")]
public sealed class InMemoryNetworkScaleTests
{
    [Fact]
    public async Task TenThousandEndpoints_EachPingTheirNeighbour_AllAnswered()
    {
        const int count = 10_000;
        await using var net = new RpcTestNetwork();
        var endpoints = new RpcEndpoint[count];
        var ids = new NodeId[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = NodeId.Random(new Random(i));
            endpoints[i] = net.AddEndpoint(Address(i), new TestHandler(ids[i]));
        }

        var calls = Enumerable.Range(0, count)
            .Select(i => endpoints[i].SendAsync(Address((i + 1) % count), new PingRequest(ids[i]), cancellationToken: TestContext.Current.CancellationToken))
            .ToArray();
        var results = await Task.WhenAll(calls).Bounded();

        Assert.Equal(count, net.Network.BoundCount);
        Assert.All(results, r => Assert.Equal(RpcStatus.Ok, r.Status));
        Assert.Equal(Enumerable.Range(0, count).Select(i => ids[(i + 1) % count]), results.Select(r => ((PingResponse)r.Response!).Responder));
        Assert.Equal(new InMemoryNetworkCounters(2 * count, 2 * count, 0, 0, 0, 0), net.Network.Counters);
    }

    private static IPEndPoint Address(int i) => new(new IPAddress([10, 200, (byte)(i >> 8), (byte)i]), 8468);
}

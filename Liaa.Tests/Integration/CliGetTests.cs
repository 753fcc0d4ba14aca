using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Liaa.Tests.Rpc;

namespace Liaa.Tests.Integration;

/// <summary>
/// The command line's <c>get</c> goes straight to its FIND_VALUE lookup, seeded by the seeds that answered a ping:
/// no lookup of its own id and no bucket refresh first (they cost round trips and tell a one-shot client nothing).
/// The seed here is an endpoint in the test that records what it is asked, over real UDP on 127.0.0.1.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliGetTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Get_SendsTheSeedAPingAndOneFindValue_AndNothingElse()
    {
        var key = NodeId.FromKey("straight to it");
        var seedId = NodeId.FromKey("recording seed");
        var seed = new TestHandler(seedId);
        seed.Override = (request, _, _) => ValueTask.FromResult<RpcResponse?>(request switch
        {
            PingRequest => new PingResponse(seedId),
            FindValueRequest find when find.Key == key => FindValueResponse.Hit(DhtValue.FromString("found"), null),
            FindValueRequest => FindValueResponse.Miss([]),
            _ => new FindNodeResponse([]),
        });
        await using var transport = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var endpoint = new RpcEndpoint(transport, new RpcOptions(), TimeProvider.System);
        endpoint.Start(seed);

        var (exitCode, output) = await NodeProcess.RunAsync(CommandTimeout, "get", "straight to it", "--seed", $"127.0.0.1:{transport.LocalEndPoint.Port}");

        Assert.True(exitCode == 0, output);
        Assert.Equal("string: found", output.Trim());
        Assert.Equal(["PingRequest", "FindValueRequest"], seed.Received.Select(r => r.Request.GetType().Name));
    }
}

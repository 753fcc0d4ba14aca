using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

public sealed class RpcEndpointHostileInputTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.2.0.1"), 8468);
    private static readonly IPEndPoint AttackerAddress = new(IPAddress.Parse("10.2.0.2"), 8468);
    private static readonly NodeId ServerId = NodeId.FromKey("hostile-server");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Endpoint_AccountsForEveryDatagram_AndStillAnswers_WhenFedRandomAndMutatedInput(int seed)
    {
        await using var net = new RpcTestNetwork(new InMemoryNetworkOptions { ReceiveQueueCapacity = 5000 });
        var observer = new RecordingObserver();
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId), observer: observer);
        var attacker = net.Bind(AttackerAddress);
        var random = new Random(seed);
        var ct = TestContext.Current.CancellationToken;
        byte[][] seeds =
        [
            HandBuilt.Ping(HandBuilt.PythonId(1), NodeId.FromKey("x")),
            HandBuilt.PingResponse(HandBuilt.PythonId(2), NodeId.FromKey("y")),
            Convert.FromHexString("004e13d5eb39b4adcdef1c3e76e295018db129cb2292a573746f726593c414cccccccccccccccccccccccccccccccccccccccc"
                + "c41461ba747fe2f5b3d513c40550084c6284fbbc1094b06d7920617765736f6d652076616c7565"),
        ];

        const int count = 2000;
        for (var i = 0; i < count; i++)
        {
            await attacker.SendAsync(Hostile(random, seeds), ServerAddress, ct);
        }

        var probeId = HandBuilt.PythonId(200);
        await attacker.SendAsync(HandBuilt.Ping(probeId, NodeId.FromKey("probe")), ServerAddress, ct);
        while (true)
        {
            var reply = await attacker.ReceiveBytesAsync();
            if (HandBuilt.IdOf(reply) == MessageId.Read(probeId))
            {
                Assert.Equal(HandBuilt.PingResponse(probeId, ServerId), reply);
                break;
            }
        }

        await server.StopAsync().Bounded();
        var counters = server.Counters.Snapshot();
        Assert.Equal(count + 1, counters.TotalDropped + counters.RequestsReceived);
        Assert.Equal(0, counters.Drops[DropReason.None]);
        Assert.Equal(counters.RequestsReceived, counters.RequestsServed);
    }

    private static byte[] Hostile(Random random, byte[][] seeds)
    {
        switch (random.Next(4))
        {
            case 0:
                var noise = new byte[random.Next(0, 120)];
                random.NextBytes(noise);
                return noise;
            case 1:
                var truncated = seeds[random.Next(seeds.Length)];
                return truncated[..random.Next(truncated.Length)];
            default:
                var mutated = (byte[])seeds[random.Next(seeds.Length)].Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                return mutated;
        }
    }
}

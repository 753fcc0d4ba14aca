using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Liaa.Node;
using Liaa.Node.Hosting;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Tests.Faults;
using Liaa.Tests.Integration;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Hosting;

/// <summary>
/// Seeds given by DNS name: parsed from the configuration, resolved by an injected resolver (no real DNS), at
/// every join attempt, with the reason on <c>/health</c> while a name does not resolve; and one live node that
/// joins through <c>localhost:PORT</c>.
/// </summary>
public sealed class NamedSeedsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly IPEndPoint SeedAddress = new(IPAddress.Parse("10.9.0.1"), 8468);
    private static readonly IPEndPoint MovedSeedAddress = new(IPAddress.Parse("10.9.0.7"), 8468);
    private static readonly IPEndPoint NodeAddress = new(IPAddress.Parse("10.9.0.2"), 8468);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("seed.example.org:8468", "seed.example.org", 8468)]
    [InlineData("localhost:1", "localhost", 1)]
    [InlineData("liaa-0.liaa.default.svc.cluster.local:65535", "liaa-0.liaa.default.svc.cluster.local", 65535)]
    public void TryParse_TakesHostColonPort(string text, string host, int port)
    {
        Assert.True(NamedSeeds.TryParse(text, out var seed));
        Assert.Equal(host, seed!.Host);
        Assert.Equal(port, seed.Port);
    }

    [Theory]
    [InlineData("seed.example.org")]
    [InlineData("seed.example.org:0")]
    [InlineData("seed.example.org:65536")]
    [InlineData(":8468")]
    [InlineData("seed example:8468")]
    [InlineData("seed.example.org:http")]
    [InlineData("[::1]:8468")]
    public void TryParse_RefusesWhatIsNotHostColonPort(string text)
    {
        Assert.False(NamedSeeds.TryParse(text, out _));
    }

    [Fact]
    public void Settings_PutAddressesInTheOptions_AndNamesBeside_AndNameWhatIsNeither()
    {
        var settings = NodeSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Liaa:Node:Seeds:0"] = "10.1.2.3:8468",
            ["Liaa:Node:Seeds:1"] = "seed.example.org:8468",
            ["Liaa:Node:Seeds:2"] = "seed.example.org",
        }).Build());

        Assert.Equal([IPEndPoint.Parse("10.1.2.3:8468")], settings.Node.Seeds);
        Assert.Equal([new DnsEndPoint("seed.example.org", 8468)], settings.SeedNames);
        Assert.Equal(["Liaa:Node:Seeds: 'seed.example.org' is not IP:PORT or HOST:PORT."], settings.Problems);
    }

    [Fact]
    public async Task Resolve_KeepsTheAddressesTheSocketCanReach_AndNamesEachNameThatGaveNone()
    {
        var seeds = new NamedSeeds(
            [new("both.test", 8468), new("v6only.test", 8468), new("missing.test", 8468), new("both.test", 9000)],
            (host, _) => host switch
            {
                "both.test" => Task.FromResult(new[] { IPAddress.Parse("::ffff:10.9.0.1"), IPAddress.Parse("fd00::1"), IPAddress.Parse("10.9.0.2") }),
                "v6only.test" => Task.FromResult(new[] { IPAddress.Parse("fd00::2") }),
                _ => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
            });

        var ipv4 = await seeds.ResolveAsync(new IPEndPoint(IPAddress.Any, 0), Token);
        var dualStack = await seeds.ResolveAsync(new IPEndPoint(IPAddress.IPv6Any, 0), Token);

        Assert.Equal(
            ["10.9.0.1:8468", "10.9.0.2:8468", "10.9.0.1:9000", "10.9.0.2:9000"],
            ipv4.EndPoints.Select(e => e.ToString()));
        Assert.Equal(2, ipv4.Problems.Count);
        Assert.Equal("Seed v6only.test:8468 resolves to no IPv4 address (fd00::2).", ipv4.Problems[0]);
        Assert.StartsWith("Seed missing.test:8468 does not resolve (", ipv4.Problems[1], StringComparison.Ordinal);
        Assert.Equal(
            ["10.9.0.1:8468", "[fd00::1]:8468", "10.9.0.2:8468", "[fd00::2]:8468", "10.9.0.1:9000", "[fd00::1]:9000", "10.9.0.2:9000"],
            dualStack.EndPoints.Select(e => e.ToString()));
        Assert.Single(dualStack.Problems);
    }

    [Fact]
    public async Task Resolve_CountsAResolverThatHangs_AsNotResolved()
    {
        var time = new FakeTimeProvider();
        var seeds = new NamedSeeds([new("slow.test", 8468)], (_, _) => new TaskCompletionSource<IPAddress[]>().Task, time);

        var resolving = seeds.ResolveAsync(new IPEndPoint(IPAddress.Any, 0), Token);
        while (!resolving.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        var resolution = await resolving;
        Assert.Empty(resolution.EndPoints);
        Assert.Equal(["Seed slow.test:8468 did not resolve within 10 seconds."], resolution.Problems);
    }

    /// <summary>
    /// The name does not resolve at first (health says so), then resolves to where no node is, then to the seed:
    /// each join attempt resolves it again, and the node joins once the name points at the seed.
    /// </summary>
    [Fact]
    public async Task NodeHost_ResolvesTheSeedNameAgainAtEveryAttempt_AndHealthSaysWhyUntilItJoins()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(1));
        await using var seed = await LiaaNode.StartAsync(new LiaaNodeOptions { Transport = network.Bind(SeedAddress), TimeProvider = time }, cancellationToken: Token);
        var calls = Channel.CreateUnbounded<TaskCompletionSource<IPAddress[]>>();
        var resolver = new NamedSeeds.HostResolver((host, _) =>
        {
            Assert.Equal("seed.liaa.test", host);
            var call = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            calls.Writer.TryWrite(call);
            return call.Task;
        });
        await using var transport = network.Bind(NodeAddress);
        var host = new NodeHost(
            new LiaaNodeOptions { Transport = transport, TimeProvider = time },
            new NodeMetrics(),
            NullLoggerFactory.Instance,
            new NamedSeeds([new("seed.liaa.test", 8468)], resolver, time));
        await host.StartAsync(Token);
        try
        {
            (await NextCallAsync(calls, time)).SetException(new SocketException((int)SocketError.HostNotFound));
            var moved = await NextCallAsync(calls, time);
            var unresolved = await host.CheckHealthAsync(new HealthCheckContext(), Token);
            moved.SetResult([MovedSeedAddress.Address]);
            (await NextCallAsync(calls, time)).SetResult([SeedAddress.Address]);
            await host.ExecuteTask!.WaitAsync(Bound, Token);
            var joined = await host.CheckHealthAsync(new HealthCheckContext(), Token);

            Assert.Equal(HealthStatus.Unhealthy, unresolved.Status);
            Assert.StartsWith(
                "Not joined: none of the 1 seeds has answered yet. Seed seed.liaa.test:8468 does not resolve (",
                unresolved.Description,
                StringComparison.Ordinal);
            Assert.True(host.Node.IsJoined);
            Assert.Equal(HealthStatus.Healthy, joined.Status);
            Assert.Equal([SeedAddress], host.Node.GetContacts().Select(c => c.EndPoint));
            Assert.Equal([NodeAddress], seed.GetContacts().Select(c => c.EndPoint));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A seed name that lists the node itself (a Service naming every node; the node bound to 0.0.0.0 sees its own
    /// address under another name, here an address where something answers pings with the node's own id): the node is
    /// its only seed, so it starts a new network and is ready, instead of waiting for itself forever.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NodeHost_WhoseOnlySeedIsItself_StartsANewNetwork_AndIsReady(bool underAnotherAddress)
    {
        // Everything answers at once: the manual clock never moves, so nothing can time out however slow the machine.
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(4));
        var id = NodeId.FromKey("the node itself");
        await using var mirrorTransport = network.Bind(MovedSeedAddress);
        await using var mirror = new RpcEndpoint(mirrorTransport, new RpcOptions(), time);
        mirror.Start(new Rpc.TestHandler(id));
        await using var transport = network.Bind(NodeAddress);
        var options = new LiaaNodeOptions { Transport = transport, NodeId = id, TimeProvider = time };
        var host = new NodeHost(
            options,
            new NodeMetrics(),
            NullLoggerFactory.Instance,
            new NamedSeeds([new("all-nodes.liaa.test", 8468)], (_, _) => Task.FromResult(new[] { (underAnotherAddress ? MovedSeedAddress : NodeAddress).Address }), time));
        await host.StartAsync(Token);
        try
        {
            await host.ExecuteTask!.WaitAsync(Bound, Token);
            var health = await host.CheckHealthAsync(new HealthCheckContext(), Token);

            Assert.True(host.Node.IsJoined);
            Assert.Equal(HealthStatus.Healthy, health.Status);
            Assert.Equal("Joined; 0 contacts.", health.Description);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A real <c>serve</c> process given <c>--seed localhost:PORT</c> joins the node there, values cross, and the CLI's <c>get --seed localhost:PORT</c> reads them.</summary>
    [Fact]
    [Trait("Category", "Integration")]
    public async Task ServeProcess_JoinsThroughSeedGivenAsLocalhost()
    {
        await using var seed = await LiveNode.StartAsync();
        await using var node = await LiveNode.StartAsync(null, "--seed", $"localhost:{seed.Udp.Port}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Bound);
        while (await NodeHttp.RoutingTableSizeAsync(node.HttpUrl, timeout.Token) == 0 || await NodeHttp.RoutingTableSizeAsync(seed.HttpUrl, timeout.Token) == 0)
        {
            await Task.Delay(100, timeout.Token);
        }

        await NodeHttp.PutAsync(seed.HttpUrl, "named-seed", "found", Token);
        var (status, body) = await NodeHttp.GetAsync(node.HttpUrl, "named-seed", Token);
        var table = await NodeHttp.GetJsonAsync(node.HttpUrl, "/v1/routing-table", Token);
        var contact = table.GetProperty("buckets").EnumerateArray().SelectMany(b => b.GetProperty("contacts").EnumerateArray()).Single();
        var (exitCode, output) = await NodeProcess.RunAsync(Bound, "get", "named-seed", "--seed", $"localhost:{node.Udp.Port}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("found", body);
        Assert.Equal(seed.Id.ToString(), contact.GetProperty("id").GetString());
        Assert.Equal("127.0.0.1", contact.GetProperty("address").GetString());
        Assert.Equal(seed.Udp.Port, contact.GetProperty("port").GetInt32());
        Assert.True(exitCode == 0, output);
        Assert.Equal("string: found", output.Trim());
    }

    /// <summary>
    /// The host's next call to the resolver. Between attempts the host waits two seconds of the fake clock: the
    /// clock is moved on until the call comes (the wait's timer may not be armed yet when the call is awaited).
    /// </summary>
    private static async Task<TaskCompletionSource<IPAddress[]>> NextCallAsync(Channel<TaskCompletionSource<IPAddress[]>> calls, FakeTimeProvider time)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Bound);
        while (true)
        {
            var next = calls.Reader.WaitToReadAsync(timeout.Token).AsTask();
            if (await Task.WhenAny(next, Task.Delay(20, timeout.Token)) == next && calls.Reader.TryRead(out var call))
            {
                return call;
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }
    }
}

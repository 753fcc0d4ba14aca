using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Liaa.Tests.Integration;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Hosts;

/// <summary>
/// Liaa on several hosts with their own interfaces and addresses: real <c>serve</c> processes, one per network
/// namespace (<see cref="NamespaceNetwork"/>), on a bridge with no uplink. Values cross hosts, routing tables hold
/// the peers' real addresses (also of a node bound to 0.0.0.0, which learns its own through <c>stun</c>), a host
/// whose cable is pulled is cut off and is taken back within one maintenance round once it is plugged in again,
/// and a host that comes back at a new address is found there. Skipped, saying why, without root or <c>ip</c>.
/// </summary>
/// <remarks>
/// Inside a namespace the ports are the host's own, so every node uses the documented defaults (UDP 8468, the API
/// on 8080): nothing else can hold them there. Every wait polls the nodes' HTTP API with a deadline.
/// </remarks>
[Trait("Category", "Integration")]
public sealed class NamespaceClusterTests : IAsyncDisposable
{
    private const int UdpPort = 8468;
    private const int HttpPort = 8080;

    /// <summary>Short rounds so a heal is quick to see; <see cref="RpcTimeout"/> bounds each ping.</summary>
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RpcTimeout = TimeSpan.FromSeconds(1);

    /// <summary>A generous bound for things that take a few round trips (a join, a lookup), on a loaded machine.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly Dictionary<int, NodeProcess> _processes = [];
    private NamespaceNetwork? _network;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private NamespaceNetwork Network => _network!;

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            await process.DisposeAsync();
        }

        if (_network is not null)
        {
            await _network.DisposeAsync();
        }
    }

    [Fact]
    public async Task ThreeHosts_StoreAndReadAcrossHosts_SeeRealAddresses_AndSurviveALinkCut()
    {
        // Made in the test itself, where Assert.Skip reports the test as skipped with the reason.
        _network = await NamespaceNetwork.CreateAsync(3);

        // Host 2 binds the wildcard: it cannot read its address off its socket, its peers still see the real one.
        await StartAsync(0, Network.DataAddress(0));
        await StartAsync(1, Network.DataAddress(1), Network.DataAddress(0));
        await StartAsync(2, IPAddress.Any, Network.DataAddress(0));
        var ids = new Dictionary<int, string>();
        for (var i = 0; i < 3; i++)
        {
            ids[i] = (await NodeAsync(i)).GetProperty("id").GetString()!;
        }

        for (var i = 0; i < 3; i++)
        {
            await WaitUntilAsync($"host {i} knows both others", async () => (await ContactsAsync(i)).Count == 2);
        }

        var holders = new Dictionary<int, string>();
        for (var i = 0; i < 3; i++)
        {
            holders[i] = string.Join(", ", (await ContactsAsync(i)).Select(c => $"{c.Id[..8]}@{c.Address}:{c.Port}").Order());
        }

        await NodeHttp.PutAsync(Http(0), "across-hosts", "stored on host 0", Token, _token);
        var fromTwo = await NodeHttp.GetAsync(Http(2), "across-hosts", Token);
        var fromOne = await NodeHttp.GetAsync(Http(1), "across-hosts", Token);
        var wildcard = await NodeAsync(2);

        for (var i = 0; i < 3; i++)
        {
            var expected = Enumerable.Range(0, 3).Where(j => j != i).Select(j => $"{ids[j][..8]}@{Network.DataAddress(j)}:{UdpPort}").Order();
            Assert.Equal(string.Join(", ", expected), holders[i]);
        }

        Assert.Equal((HttpStatusCode.OK, "stored on host 0"), fromTwo);
        Assert.Equal((HttpStatusCode.OK, "stored on host 0"), fromOne);
        Assert.Equal($"0.0.0.0:{UdpPort}", wildcard.GetProperty("udp").GetString());
        Assert.Equal($"{Network.DataAddress(2)}:{UdpPort}", wildcard.GetProperty("external").GetString());

        // Cut host 2 off. A value put meanwhile reaches hosts 0 and 1 only; host 2 cannot read it; each lookup
        // that tries host 2 counts a failure there, and after three it is stale (flagged, kept: nothing replaces it).
        await Network.CutAsync(2);
        await NodeHttp.PutAsync(Http(0), "during-the-cut", "put while host 2 was cut off", Token, _token);
        var cutOff = await NodeHttp.GetAsync(Http(2), "during-the-cut", Token);
        await WaitUntilAsync("hosts 0 and 1 count host 2's failures", async () =>
        {
            await NodeHttp.GetAsync(Http(0), "any-key-" + Guid.NewGuid(), Token);
            await NodeHttp.GetAsync(Http(1), "any-key-" + Guid.NewGuid(), Token);
            return (await FailuresOfAsync(0, ids[2])) >= 3 && (await FailuresOfAsync(1, ids[2])) >= 3;
        });

        // Plug it back in and send nothing: the peers' maintenance pings their stale contacts every round.
        await Network.RestoreAsync(2);
        var restored = Stopwatch.StartNew();
        var oneRound = MaintenanceInterval + RpcTimeout + TimeSpan.FromSeconds(6);
        await WaitUntilAsync(
            "hosts 0 and 1 take host 2 back",
            async () => (await FailuresOfAsync(0, ids[2])) == 0 && (await FailuresOfAsync(1, ids[2])) == 0,
            oneRound);
        var healedAfter = restored.Elapsed;
        var afterHeal = await NodeHttp.GetAsync(Http(2), "during-the-cut", Token);

        Assert.Equal(HttpStatusCode.NotFound, cutOff.Status);
        Assert.Equal((HttpStatusCode.OK, "put while host 2 was cut off"), afterHeal);
        TestContext.Current.SendDiagnosticMessage($"host 2 taken back {healedAfter.TotalSeconds:0.0} s after its link came back (maintenance every {MaintenanceInterval.TotalSeconds} s)");
    }

    [Fact]
    public async Task HostRestartedAtANewAddress_IsFoundThereByTheOthers()
    {
        _network = await NamespaceNetwork.CreateAsync(3);
        var movingId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        await StartAsync(0, Network.DataAddress(0));
        await StartAsync(1, Network.DataAddress(1), Network.DataAddress(0));
        await StartAsync(2, Network.DataAddress(2), [Network.DataAddress(0)], "--node-id", movingId);
        for (var i = 0; i < 3; i++)
        {
            await WaitUntilAsync($"host {i} knows both others", async () => (await ContactsAsync(i)).Count == 2);
        }

        await _processes[2].KillAsync();
        var moved = await Network.AddDataAddressAsync(2, 102);
        await StartAsync(2, moved, [Network.DataAddress(1)], "--node-id", movingId);

        // The others hold the id at its old address: they ping it there, and when it stays silent the new one takes over.
        for (var i = 0; i < 2; i++)
        {
            await WaitUntilAsync(
                $"host {i} finds {movingId[..8]} at {moved}",
                async () => (await ContactsAsync(i)).Any(c => c.Id == movingId && c.Address == moved.ToString()));
        }

        await NodeHttp.PutAsync(Http(2), "from-the-moved-host", "hello from " + moved, Token, _token);
        var read = await NodeHttp.GetAsync(Http(0), "from-the-moved-host", Token);
        var addresses = (await ContactsAsync(0)).Concat(await ContactsAsync(1)).Where(c => c.Id == movingId).Select(c => c.Address);

        Assert.Equal((HttpStatusCode.OK, "hello from " + moved), read);
        Assert.Equal([moved.ToString(), moved.ToString()], addresses);
    }

    private Uri Http(int index) => new($"http://{Network.ManagementAddress(index)}:{HttpPort}");

    private Task StartAsync(int index, IPAddress bind, IPAddress? seed = null) =>
        StartAsync(index, bind, seed is null ? [] : [seed]);

    /// <summary>Starts host <paramref name="index"/>'s node inside its namespace and waits for its start line.</summary>
    private async Task StartAsync(int index, IPAddress bind, IPAddress[] seeds, params string[] extra)
    {
        var environment = new Dictionary<string, string>
        {
            ["Liaa__Node__ApiToken"] = _token,
            ["Liaa__Node__MaintenanceInterval"] = MaintenanceInterval.ToString(),
            ["Liaa__Transport__Timeout"] = RpcTimeout.ToString(),
        };
        List<string> arguments =
        [
            "serve", "--name", $"host-{index}", "--address", bind.ToString(), "--port", UdpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--http", $"{Network.ManagementAddress(index)}:{HttpPort}", .. extra,
        ];
        foreach (var seed in seeds)
        {
            arguments.AddRange(["--seed", $"{seed}:{UdpPort}"]);
        }

        var process = NodeProcess.Start(Network.Launcher(index), environment, [.. arguments]);
        _processes[index] = process;
        await process.WaitForServeAsync();
    }

    private async Task<JsonElement> NodeAsync(int index) => await NodeHttp.GetJsonAsync(Http(index), "/v1/node", Token);

    private async Task<List<(string Id, string Address, int Port, int Failures)>> ContactsAsync(int index)
    {
        var table = await NodeHttp.GetJsonAsync(Http(index), "/v1/routing-table", Token);
        return
        [
            .. table.GetProperty("buckets").EnumerateArray()
                .SelectMany(b => b.GetProperty("contacts").EnumerateArray())
                .Select(c => (c.GetProperty("id").GetString()!, c.GetProperty("address").GetString()!, c.GetProperty("port").GetInt32(), c.GetProperty("failures").GetInt32())),
        ];
    }

    private async Task<int> FailuresOfAsync(int index, string id) => (await ContactsAsync(index)).Single(c => c.Id == id).Failures;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <paramref name="bound"/> (default <see cref="Settle"/>).</summary>
    private async Task WaitUntilAsync(string what, Func<Task<bool>> condition, TimeSpan? bound = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = bound ?? Settle;
        while (!await condition())
        {
            if (deadline.Elapsed > limit)
            {
                var tables = new List<string>();
                for (var i = 0; i < Network.Count; i++)
                {
                    tables.Add($"host {i}: " + string.Join(", ", (await ContactsAsync(i)).Select(c => $"{c.Id[..8]}@{c.Address}:{c.Port} failures {c.Failures}")));
                }

                Assert.Fail($"not within {limit.TotalSeconds} s: {what}\n{string.Join('\n', tables)}");
            }

            await Task.Delay(200, Token);
        }
    }
}

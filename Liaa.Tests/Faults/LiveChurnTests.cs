using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node;
using Liaa.Node.Wire;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Faults;

/// <summary>
/// Churn on a live cluster of twelve nodes started by <c>Liaa.AppHost</c> (through
/// <c>Aspire.Hosting.Testing</c>), with intervals shortened to seconds: a third of the nodes killed with
/// the dashboard's Crash command (SIGKILL), replication restoring k copies, then more nodes killed, and
/// every key still readable. The 30-node, 500-key version runs in the simulator
/// (<see cref="SimulatedFaultTests"/>); this one keeps to a dozen processes so the suite stays fast.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(LiveClusterCollection.Name)]
public sealed class LiveChurnTests(LiveChurnTests.ChurnCluster cluster) : IClassFixture<LiveChurnTests.ChurnCluster>
{
    private const int K = 5;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Churn_KillingAThirdThenMore_LosesNoKey_OnceReplicationHasRun()
    {
        var started = TimeProvider.System.GetTimestamp();
        void Mark(string what) => TestContext.Current.TestOutputHelper?.WriteLine($"{TimeProvider.System.GetElapsedTime(started).TotalSeconds:F1} s: {what}");
        var seed = new IPEndPoint(IPAddress.Loopback, cluster.UdpBase);
        var alive = cluster.NodeNames.ToList();
        var keys = Enumerable.Range(0, 120).Select(i => $"live-churn-{i}").ToArray();

        // Put through a short-lived client: once it is gone, only the k closest nodes hold each value.
        await using (var client = await ClientAsync(seed))
        {
            foreach (var batch in keys.Chunk(10))
            {
                var puts = await Task.WhenAll(batch.Select(key => client.PutAsync(key, DhtValue.FromString($"value of {key}"), Token)));
                Assert.All(puts, put => Assert.True(put.StoredAt >= K, $"{put.Key} stored at {put.StoredAt} of {put.Asked}"));
            }
        }

        Mark("keys put");
        var random = new Random(61);
        foreach (var wave in new[] { 4, 4 })
        {
            var victims = alive.OrderBy(_ => random.Next()).Take(wave).ToList();
            foreach (var victim in victims)
            {
                var crash = await cluster.CommandAsync(victim, "liaa-crash", null, Token);
                Assert.True(crash.Success, crash.Message);
                alive.Remove(victim);
            }

            var survivors = alive.ToList();
            Assert.Empty(await UnreadableAsync(new IPEndPoint(IPAddress.Loopback, cluster.UdpBase + int.Parse(survivors[0]["node-".Length..], System.Globalization.CultureInfo.InvariantCulture)), keys));
            Mark($"every key read after killing {wave}");
            await WaitForCopiesAsync(survivors, keys, Math.Min(K, survivors.Count));
            Mark("copies restored");
        }
    }

    private static async Task<LiaaNode> ClientAsync(IPEndPoint seed)
    {
        var options = new LiaaNodeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), ClientMode = true };
        options.Kademlia.K = K;
        // Short enough that killed nodes cost little, long enough that a live node's answer on a busy machine is not missed.
        options.Rpc.Timeout = TimeSpan.FromSeconds(2);
        var client = await LiaaNode.StartAsync(options, cancellationToken: Token);
        Assert.True((await client.BootstrapAsync([seed], Token)).IsJoined);
        return client;
    }

    private static async Task<List<string>> UnreadableAsync(IPEndPoint through, IReadOnlyList<string> keys)
    {
        await using var reader = await ClientAsync(through);
        var unreadable = new List<string>();
        foreach (var batch in keys.Chunk(40))
        {
            var gets = await Task.WhenAll(batch.Select(key => reader.GetAsync(key, Token)));
            unreadable.AddRange(batch.Where((key, i) => gets[i].Value?.AsString() != $"value of {key}"));
        }

        return unreadable;
    }

    /// <summary>Waits (at most three minutes: a bound for a loaded machine) until every key has <paramref name="copies"/> replicated or own copies among <paramref name="nodes"/>.</summary>
    private async Task WaitForCopiesAsync(IReadOnlyList<string> nodes, IReadOnlyList<string> keys, int copies)
    {
        var ids = keys.Select(k => Liaa.Node.Kademlia.NodeId.FromKey(k).ToString()).ToHashSet();
        var deadline = TimeProvider.System.GetTimestamp() + (180 * TimeProvider.System.TimestampFrequency);
        var fewest = 0;
        while (TimeProvider.System.GetTimestamp() < deadline)
        {
            var held = new Dictionary<string, int>();
            foreach (var node in nodes)
            {
                var storage = await NodeHttp.GetJsonAsync(cluster.Http(node), "/v1/storage", Token);
                foreach (var value in storage.GetProperty("values").EnumerateArray())
                {
                    var key = value.GetProperty("key").GetString()!;
                    if (ids.Contains(key) && value.GetProperty("origin").GetString() != "cached")
                    {
                        held[key] = held.GetValueOrDefault(key) + 1;
                    }
                }
            }

            fewest = ids.Min(id => held.GetValueOrDefault(id));
            if (fewest >= copies)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), Token);
        }

        Assert.Fail($"after three minutes some key has only {fewest} live copies; {copies} expected");
    }

    /// <summary>Twelve nodes with k = 5 and maintenance, replication and RPC timeouts shortened to seconds.</summary>
    public sealed class ChurnCluster() : AspireCluster(12, new Dictionary<string, string>
    {
        ["Liaa:Kademlia:K"] = K.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Liaa:Node:MaintenanceInterval"] = "00:00:01",
        ["Liaa:Storage:ReplicateInterval"] = "00:00:03",
        ["Liaa:Storage:RepublishInterval"] = "00:30:00",
        ["Liaa:Transport:Timeout"] = "00:00:02",
    }, withPrometheus: false);
}

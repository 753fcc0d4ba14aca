using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Tests.Protocol;

/// <summary>
/// <see cref="Liaa.Node.Storage.StorageOptions.PutAcknowledgements"/>: a put answers once that many of the k
/// closest stored the value, while a holder that went silent after the lookup is still being waited on in the
/// background; without it, the put waits for that holder's STORE to time out. Simulated network, manual clock.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class PutAcknowledgementTests
{
    private const int K = 5;

    private static readonly byte[] StoreMethod = [0xa5, (byte)'s', (byte)'t', (byte)'o', (byte)'r', (byte)'e'];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(3, 3, false)]
    [InlineData(null, 3, true)]
    public async Task Put_ReturnsOnceEnoughHoldersAcknowledged_OrWaitsForEveryStore(int? acknowledgements, int storedAt, bool waitsForTimeout)
    {
        await using var sim = await NetworkAsync(acknowledgements, storesAtConvergence: false);
        var putter = sim.Nodes[3];

        // Two holders go silent the moment the first STORE leaves: they answered the lookup, not the STORE.
        var silenced = new HashSet<IPEndPoint>();
        sim.Network.Tap = (from, to, datagram) =>
        {
            if (from.Equals(putter.EndPoint) && datagram.IndexOf(StoreMethod) >= 0)
            {
                lock (silenced)
                {
                    if (silenced.Count < 2 && silenced.Add(to))
                    {
                        sim.Network.Disconnect(to);
                    }
                }
            }
        };

        var started = sim.Time.GetUtcNow();
        var put = await sim.RunAsync(putter.PutAsync("acknowledged", DhtValue.FromString("v"), Token), Token);
        var took = sim.Time.GetUtcNow() - started;

        Assert.Equal(2, silenced.Count);
        Assert.Equal(K, put.Asked);
        Assert.Equal(storedAt, put.StoredAt);
        var timeout = new Liaa.Node.Rpc.RpcOptions().Timeout;
        Assert.Equal(waitsForTimeout, took >= timeout);

        // The STOREs still out end at their timeout; the node waits for them before it stops.
        await sim.AdvanceAsync(timeout, Token);
    }

    [Theory]
    [InlineData(3, 3, 0, false)]
    [InlineData(0, K, 2, true)]
    public async Task PutEndingItsLookupAtConvergence_SendsAFailedStoreOnToTheNextNearestNode(int acknowledgements, int storedAt, int replacements, bool waitsForTimeout)
    {
        await using var sim = await NetworkAsync(acknowledgements, storesAtConvergence: true);
        var putter = sim.Nodes[3];
        var silenced = new HashSet<IPEndPoint>();
        var storedTo = new List<IPEndPoint>();
        sim.Network.Tap = (from, to, datagram) =>
        {
            if (from.Equals(putter.EndPoint) && datagram.IndexOf(StoreMethod) >= 0)
            {
                lock (silenced)
                {
                    storedTo.Add(to);
                    if (silenced.Count < 2 && silenced.Add(to))
                    {
                        sim.Network.Disconnect(to);
                    }
                }
            }
        };

        var started = sim.Time.GetUtcNow();
        var put = await sim.RunAsync(putter.PutAsync("converged", DhtValue.FromString("v"), Token), Token);
        var took = sim.Time.GetUtcNow() - started;
        var timeout = new Liaa.Node.Rpc.RpcOptions().Timeout;

        Assert.Equal(K + replacements, put.Asked);
        Assert.Equal(storedAt, put.StoredAt);
        Assert.Equal(waitsForTimeout, took >= timeout);

        // Whether the caller waited or not, the two silent holders are replaced by the next nearest nodes: K hold it.
        await sim.AdvanceAsync(timeout, Token);
        lock (silenced)
        {
            Assert.Equal(K + 2, storedTo.Distinct().Count());
        }

        var key = NodeId.FromKey("converged");
        Assert.Equal(K, sim.Nodes.Count(n => n != putter && !silenced.Contains(n.EndPoint) && n.GetStoredValue(key) is not null));
    }

    /// <summary>Twelve simulated nodes with k = <see cref="K"/> and the put settings under test.</summary>
    private static Task<SimulatedNetwork> NetworkAsync(int? acknowledgements, bool storesAtConvergence) =>
        SimulatedNetwork.CreateAsync(
            new SimulationOptions
            {
                NodeCount = 12,
                Seed = 21,
                ConfigureNode = options =>
                {
                    options.Kademlia.K = K;
                    options.Storage.PutAcknowledgements = acknowledgements;
                    options.Storage.PutStoresAtConvergence = storesAtConvergence;
                },
            },
            Token);
}

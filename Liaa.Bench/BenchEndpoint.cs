using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Liaa.Node.Bench;

/// <summary>
/// A node's protocol parts wired exactly as <see cref="LiaaNode.StartAsync"/> wires them (routing
/// table, store, <see cref="RequestHandler"/>, <see cref="RpcEndpoint"/> with its metrics observer, on
/// a real UDP socket), minus the maintenance loop, with the RPC endpoint in reach: <c>bench rpc</c>
/// sends single RPCs, which the public node API does not expose.
/// </summary>
internal sealed class BenchEndpoint : IAsyncDisposable
{
    private readonly NodeMetrics _metrics;
    private readonly UdpDatagramTransport _transport;

    private BenchEndpoint(NodeRuntime runtime, NodeMetrics metrics, UdpDatagramTransport transport)
    {
        Runtime = runtime;
        _metrics = metrics;
        _transport = transport;
    }

    public NodeRuntime Runtime { get; }

    public RpcEndpoint Rpc => Runtime.Rpc;

    public NodeId Id => Runtime.Self;

    public IPEndPoint EndPoint => Runtime.Rpc.LocalEndPoint;

    public static BenchEndpoint Start(int seed)
    {
        var random = new Random(seed);
        var options = new LiaaNodeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Random = random };

        // One client sends tens of thousands of requests a second: far above the per-source limits, which
        // stay on (their cost is part of the figure) but so high they never drop anything.
        options.Rpc.RequestRatePerSource = 1e9;
        options.Rpc.RequestBurstPerSource = int.MaxValue;
        options.Rpc.StoreRatePerSource = 1e9;
        options.Rpc.StoreBurstPerSource = int.MaxValue;
        var metrics = new NodeMetrics();
        var transport = UdpDatagramTransport.Bind(options.EndPoint);
        var rpc = new RpcEndpoint(transport, options.Rpc, options.TimeProvider)
        {
            Observer = new RpcMetricsObserver(metrics),
        };
        var runtime = new NodeRuntime(NodeId.Random(random), options, new InMemoryValueStore(options.TimeProvider, options.Storage), rpc, metrics, NullLogger.Instance);
        rpc.Start(runtime.Handler);
        return new BenchEndpoint(runtime, metrics, transport);
    }

    /// <summary>
    /// Fills the routing table with <paramref name="count"/> contacts (distinct ids and loopback
    /// endpoints) so a FIND_NODE is answered with a full k contacts, as in a real network.
    /// </summary>
    public void AddContacts(int count, Random random)
    {
        for (var i = 0; i < count; i++)
        {
            var contact = new Contact(NodeId.Random(random), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 20_000 + i));
            Runtime.Routing.Observe(contact, Runtime.Time.GetUtcNow());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.Rpc.StopAsync().ConfigureAwait(false);
        await Runtime.Background.StopAsync().ConfigureAwait(false);
        await Runtime.Rpc.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }
}

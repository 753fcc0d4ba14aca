using System.Net;
using System.Net.Sockets;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Orchestration.Prometheus;
using Liaa.AppHost.Otlp;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Observability;

/// <summary>
/// One live cluster shared by the observability tests of a class: five real <c>Liaa.Node</c>
/// processes started by <see cref="LiaaCluster"/>, exporting OTLP to the cluster's own receiver, and,
/// when it is installed, a real Prometheus on a free loopback port scraping them every second.
/// </summary>
/// <remarks>
/// Warmed up before any test runs: a lookup of a missing key through every node makes every node
/// contact every other once. The first exchange between two Liaa nodes is plain rpcudp (no trace
/// context: the requester does not know yet that the peer is Liaa, DESIGN.md), so only after this do
/// all RPCs carry the W3C trace context.
/// </remarks>
public sealed class ObservedCluster : IAsyncLifetime
{
    public const int NodeCount = 5;

    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(120);

    private LiaaCluster? _cluster;

    internal LiaaCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster did not start.");

    internal TelemetryStore Store => Cluster.TelemetryStore ?? throw new InvalidOperationException("The cluster runs no receiver.");

    /// <summary>Prometheus's base URL, or null when <c>prometheus</c> is not installed.</summary>
    internal Uri? PrometheusUrl => Cluster.PrometheusUrl;

    public async ValueTask InitializeAsync()
    {
        using var bound = new CancellationTokenSource(StartBound);
        var options = TestClusters.Options(NodeCount);

        // Whatever the test runner's environment says, the nodes export to this cluster's receiver.
        options.PassThroughUserOtlpEndpoint = false;
        if (PrometheusOptions.FindExecutable() is not null)
        {
            options.Prometheus = new PrometheusOptions { ListenAddress = $"127.0.0.1:{FreeTcpPort()}", ScrapeInterval = TimeSpan.FromSeconds(1) };
        }

        _cluster = await TestClusters.StartAsync(options, bound.Token);
        foreach (var node in _cluster.Nodes)
        {
            var (status, _) = await NodeHttp.GetAsync(node.HttpEndpoint!, $"warm-up-{node.Name}", bound.Token);
            Assert.Equal(HttpStatusCode.NotFound, status);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is { } cluster)
        {
            var pids = cluster.Nodes.Select(n => n.ProcessId).OfType<int>().ToList();
            await cluster.DisposeAsync();

            // Disposal stops by pid and kills after the stop timeout; this only guards a broken stop.
            ProcessTable.KillAll(pids);
        }
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

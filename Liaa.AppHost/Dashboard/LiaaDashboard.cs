using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// What every dashboard endpoint reads: the cluster (resources, lifecycle), the telemetry store the
/// OTLP receiver fills, and a client for the nodes' own HTTP API. Holds no state of its own beyond
/// the client, so the pages are exactly as fresh as the cluster and the store.
/// </summary>
internal sealed class LiaaDashboard(LiaaCluster cluster, TelemetryStore store, NodeClient nodes) : IDisposable
{
    /// <summary>The name the AppHost's own spans (the "Try it" requests) are filed under.</summary>
    public const string AppHostServiceName = "liaa-apphost";

    public LiaaCluster Cluster { get; } = cluster;

    public TelemetryStore Store { get; } = store;

    public NodeClient Nodes { get; } = nodes;

    public TimeProvider TimeProvider => Cluster.Options.TimeProvider;

    public IReadOnlyList<NodeView> NodeViews()
    {
        var snapshots = Cluster.Nodes.Select(n => n.Snapshot).ToList();
        var gauges = NodeGauges.Read(Store, CurrentIds(snapshots));
        var now = TimeProvider.GetUtcNow();
        return [.. snapshots.Select(s => NodeView.From(s, gauges.GetValueOrDefault(s.Name), now))];
    }

    public NodeView ViewOf(ClusterNode node)
    {
        var snapshot = node.Snapshot;
        var gauges = NodeGauges.Read(Store, CurrentIds([snapshot]));
        return NodeView.From(snapshot, gauges.GetValueOrDefault(snapshot.Name), TimeProvider.GetUtcNow());
    }

    /// <summary>Names for the node ids and endpoints telemetry mentions (see <see cref="NodeDirectory"/>).</summary>
    public NodeDirectory Directory() => NodeDirectory.From(Cluster.Nodes.Select(n => n.Snapshot), Store.GetServices());

    public bool TryFind(string name, out ClusterNode node)
    {
        var found = Cluster.TryGetNode(name, out var match);
        node = match!;
        return found;
    }

    public void Dispose() => Nodes.Dispose();

    private static Dictionary<string, string?> CurrentIds(IEnumerable<NodeSnapshot> snapshots) =>
        snapshots.ToDictionary(s => s.Name, s => s.NodeId, StringComparer.Ordinal);
}

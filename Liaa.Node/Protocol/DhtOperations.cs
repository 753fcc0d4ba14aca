namespace Liaa.Node.Protocol;

/// <summary>
/// What a node does for its user and for the network, in three parts each built with only what it uses:
/// <see cref="Join"/> (§2.5), <see cref="Values"/> (put and get, §2.3) and <see cref="Maintenance"/> (refresh,
/// replication, republish, probing stale contacts). Put, replication and republish share one <see cref="ClosestStorer"/>.
/// </summary>
internal sealed class DhtOperations
{
    public DhtOperations(NodeRuntime node)
    {
        var closest = new ClosestStorer(node.Self, node.Lookups, node.Rpc, node.Contacts, node.PutTails);
        Values = new ValuePublishing(node.Self, node.Store, node.Options.Storage, node.Time, node.Lookups, node.Rpc, node.Background, closest);
        Maintenance = new MaintenanceJobs(
            node.Self, node.Routing, node.Store, node.Options.Storage, node.Time, node.Random, node.Rpc, node.Contacts, node.Lookups, node.Metrics, closest);
        Join = new JoinProcedure(
            node.Self, node.Routing, node.Rpc, node.Contacts, node.Lookups, Maintenance, node.Options.ClientMode, seen => node.ExternalEndPoint = seen);
    }

    public JoinProcedure Join { get; }

    public ValuePublishing Values { get; }

    public MaintenanceJobs Maintenance { get; }
}

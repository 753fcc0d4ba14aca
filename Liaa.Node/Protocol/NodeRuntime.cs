using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Protocol;

/// <summary>
/// The composition of one node's protocol: builds each part with only what it uses (its constructor says
/// what that is) and holds them for <see cref="LiaaNode"/>, which starts <see cref="Rpc"/> with
/// <see cref="Handler"/>. No part is given this class: it is the wiring, in one place and in order.
/// </summary>
/// <remarks>
/// One dependency runs both ways: a verification ping that times out counts against the contact
/// (<see cref="ContactTracker.Failed"/>) while the tracker verifies a newcomer before the hand-off
/// (<see cref="PeerVerifier"/>); the verifier is therefore told what to do on a timeout, as a delegate.
/// </remarks>
internal sealed class NodeRuntime
{
    /// <param name="self">The node's id.</param>
    /// <param name="options">The node's options; each part is given the part of them it reads.</param>
    /// <param name="store">The value store.</param>
    /// <param name="rpc">The RPC endpoint, built but not started: the caller starts it with <see cref="Handler"/>.</param>
    /// <param name="metrics">Where the parts report.</param>
    /// <param name="logger">The node's log.</param>
    /// <param name="data">The data directory when the node persists its state; null for a memory-only node.</param>
    /// <param name="joinLogger">The join's log (category <c>Liaa.Node.Join</c>: each step at Debug); null: <paramref name="logger"/>.</param>
    /// <param name="routingLogger">The routing table's log (category <c>Liaa.Node.Routing</c>: each contact added, at Debug); null: <paramref name="logger"/>.</param>
    public NodeRuntime(NodeId self, LiaaNodeOptions options, IValueStore store, RpcEndpoint rpc, NodeMetrics metrics, ILogger logger, NodeDataDirectory? data = null, ILogger? joinLogger = null, ILogger? routingLogger = null)
    {
        Self = self;
        Options = options;
        Time = options.TimeProvider;
        Routing = new RoutingTable(self, options.Kademlia, options.ContactPool);
        Store = store;
        Rpc = rpc;
        Logger = logger;
        Data = data;
        Background = new BackgroundWork(logger);
        PutTails = new BackgroundWork(logger);
        Verifier = new PeerVerifier(self, rpc, Background, options.Rpc, pingTimedOut: contact => Contacts!.Failed(contact));
        Contacts = new ContactTracker(self, Routing, store, rpc, Verifier, Background, options.Kademlia, Time, metrics, logger) { RoutingLogger = routingLogger ?? logger };
        RecentLookups = new LookupHistory(options.Kademlia.RecentLookups);
        Lookups = new LookupRunner(self, Routing, rpc, Contacts, Background, options.Kademlia, Time, metrics, RecentLookups);
        Handler = new RequestHandler(self, Routing, store, rpc, Contacts, Verifier, Background, options.Rpc, options.Kademlia, Time, metrics, logger);

        var closest = new ClosestStorer(self, Lookups, rpc, Contacts, PutTails, options.Kademlia.K, metrics)
        {
            RecentLookups = options.Storage.PutLookupReuse > 0 ? new RecentNeighbourhoods(options.Storage.PutLookupReuse, options.Kademlia.K, TimeSpan.FromSeconds(10), Time) : null,
            Routing = Routing,
        };
        Values = new ValuePublishing(self, store, options.Storage, Time, Lookups, rpc, Background, closest);
        Maintenance = new MaintenanceJobs(self, Routing, store, options.Storage, Time, options.Random ?? Random.Shared, rpc, Contacts, Lookups, metrics, closest);
        Join = new JoinProcedure(self, Routing, rpc, Contacts, Lookups, Maintenance, options.ClientMode, seen => ExternalEndPoint = seen, options.Rpc.Timeout, Time, joinLogger ?? logger);
    }

    public NodeId Self { get; }

    public LiaaNodeOptions Options { get; }

    public TimeProvider Time { get; }

    public RoutingTable Routing { get; }

    public IValueStore Store { get; }

    public RpcEndpoint Rpc { get; }

    public ILogger Logger { get; }

    /// <summary>The data directory when the node persists its state; null for a memory-only node.</summary>
    public NodeDataDirectory? Data { get; }

    public BackgroundWork Background { get; }

    /// <summary>
    /// The STOREs a put returned before (<see cref="StorageOptions.PutAcknowledgements"/>): awaited, never
    /// cancelled, before the RPC endpoint stops, so a returned put still reaches every holder it was sent to.
    /// </summary>
    public BackgroundWork PutTails { get; }

    public PeerVerifier Verifier { get; }

    public ContactTracker Contacts { get; }

    public LookupRunner Lookups { get; }

    /// <summary>The latest lookups, round by round (<c>GET /v1/lookups</c>).</summary>
    public LookupHistory RecentLookups { get; }

    /// <summary>Serves the five RPCs; what <see cref="Rpc"/> is started with.</summary>
    public RequestHandler Handler { get; }

    /// <summary>Joining the network (§2.5).</summary>
    public JoinProcedure Join { get; }

    /// <summary>A user's put and get (§2.3).</summary>
    public ValuePublishing Values { get; }

    /// <summary>Refresh, replication, republish and probing stale contacts (§2.5, §4.1), run by <see cref="MaintenanceService"/>.</summary>
    public MaintenanceJobs Maintenance { get; }

    /// <summary>The UDP socket the node bound itself (null when the options gave a transport); closed on stop.</summary>
    public IDatagramTransport? OwnedTransport { get; init; }

    /// <summary>
    /// Where a peer that answered the join saw this node's datagrams come from (its <c>stun</c> answer): the address
    /// peers record for this node, which a node bound to 0.0.0.0 or :: (or behind NAT) cannot read off its socket.
    /// Null before a join reached anyone. Informational only: one peer's word, never used to route.
    /// </summary>
    public IPEndPoint? ExternalEndPoint { get; set; }
}

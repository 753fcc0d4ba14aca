using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Protocol;

/// <summary>
/// The state one node's protocol parts share: identity, routing table, store, RPC endpoint, clock,
/// randomness and telemetry. Built once by <see cref="LiaaNode"/>; the parts reach each other
/// through it, which keeps their constructors small and the wiring in one place.
/// </summary>
internal sealed class NodeRuntime
{
    public NodeRuntime(NodeId self, LiaaNodeOptions options, IValueStore store, NodeMetrics metrics, ILogger logger)
    {
        Self = self;
        Options = options;
        Time = options.TimeProvider;
        Random = options.Random ?? Random.Shared;
        Routing = new RoutingTable(self, options.Kademlia);
        Store = store;
        Metrics = metrics;
        Logger = logger;
        Background = new BackgroundWork(logger);
        PutTails = new BackgroundWork(logger);
        Contacts = new ContactTracker(this);
        Verifier = new PeerVerifier(this);
        Lookups = new LookupRunner(this);
        RecentLookups = new LookupHistory(options.Kademlia.RecentLookups);
        Handler = new RequestHandler(this);
    }

    public NodeId Self { get; }

    public LiaaNodeOptions Options { get; }

    public TimeProvider Time { get; }

    public Random Random { get; }

    public RoutingTable Routing { get; }

    public IValueStore Store { get; }

    public NodeMetrics Metrics { get; }

    public ILogger Logger { get; }

    public BackgroundWork Background { get; }

    /// <summary>
    /// The STOREs a put returned before (<see cref="StorageOptions.PutAcknowledgements"/>): awaited, never
    /// cancelled, before the RPC endpoint stops, so a returned put still reaches every holder it was sent to.
    /// </summary>
    public BackgroundWork PutTails { get; }

    public ContactTracker Contacts { get; }

    public PeerVerifier Verifier { get; }

    public LookupRunner Lookups { get; }

    /// <summary>The latest lookups, round by round (<c>GET /v1/lookups</c>).</summary>
    public LookupHistory RecentLookups { get; }

    public RequestHandler Handler { get; }

    /// <summary>The data directory when the node persists its state; null for a memory-only node.</summary>
    public NodeDataDirectory? Data { get; init; }

    /// <summary>The UDP socket the node bound itself (null when the options gave a transport); closed on stop.</summary>
    public IDatagramTransport? OwnedTransport { get; set; }

    /// <summary>
    /// Where a peer that answered the join saw this node's datagrams come from (its <c>stun</c> answer): the address
    /// peers record for this node, which a node bound to 0.0.0.0 or :: (or behind NAT) cannot read off its socket.
    /// Null before a join reached anyone. Informational only: one peer's word, never used to route.
    /// </summary>
    public IPEndPoint? ExternalEndPoint { get; set; }

    /// <summary>Set once, right after the endpoint is built around <see cref="Handler"/>.</summary>
    public RpcEndpoint Rpc { get; set; } = null!;
}

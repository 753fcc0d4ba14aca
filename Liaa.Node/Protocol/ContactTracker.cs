using Liaa.Node.Telemetry;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// The I/O side of the routing table: every well-formed message from a contact goes through
/// <see cref="Observe"/>. When a bucket is full the table names its least-recently-seen contact and
/// this class pings it, evicting only when it stays silent (Kademlia §2.2: live old contacts are
/// kept over new ones); a newcomer that enters the table is handed the keys it should hold (§2.5).
/// </summary>
/// <remarks>
/// Contacts learned from a third party (FIND_NODE answers) never come through here until they answered
/// themselves, so nobody can fill our table with contacts that do not exist. A contact the table refuses
/// (its network's quota is full, or another id holds its endpoint) is counted by reason; for a taken
/// endpoint the holder is pinged there, and if another id answers, the holder is gone and gives way.
/// </remarks>
internal sealed class ContactTracker
{
    private readonly NodeId _self;
    private readonly RoutingTable _routing;
    private readonly IValueStore _store;
    private readonly RpcEndpoint _rpc;
    private readonly PeerVerifier _verifier;
    private readonly BackgroundWork _background;
    private readonly int _failuresBeforeEviction;
    private readonly TimeProvider _time;
    private readonly NodeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly HashSet<NodeId> _pinging = [];
    private readonly Lock _gate = new();

    /// <summary>
    /// The tracker of <paramref name="routing"/>: pings from <paramref name="rpc"/> (as <paramref name="self"/>) run as
    /// <paramref name="background"/> work, and keys held in <paramref name="store"/> are handed to a newcomer once
    /// <paramref name="verifier"/> proved its address.
    /// </summary>
    public ContactTracker(
        NodeId self,
        RoutingTable routing,
        IValueStore store,
        RpcEndpoint rpc,
        PeerVerifier verifier,
        BackgroundWork background,
        KademliaOptions kademlia,
        TimeProvider time,
        NodeMetrics metrics,
        ILogger logger)
    {
        _self = self;
        _routing = routing;
        _store = store;
        _rpc = rpc;
        _verifier = verifier;
        _background = background;
        _failuresBeforeEviction = kademlia.FailuresBeforeEviction;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Where each contact that enters the routing table is logged, at Debug (category <c>Liaa.Node.Routing</c>).</summary>
    /// <value>Default: none.</value>
    public ILogger RoutingLogger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>A well-formed message came from <paramref name="contact"/> (id from the message, address from the UDP source).</summary>
    public void Observe(Contact contact)
    {
        if (contact.Id == _self)
        {
            return;
        }

        var outcome = _routing.Observe(contact, _time.GetUtcNow());
        switch (outcome.Status)
        {
            case AddContactStatus.Added:
                _metrics.ContactAdded();
                Log.ContactAdded(RoutingLogger, contact.Id, contact.EndPoint, _routing.Count);

                // A node holding nothing has nothing to hand off: no background work per newcomer (most of a joining
                // network's nodes, and a tenth of bench sim's CPU while it built one).
                if (_store.Count > 0)
                {
                    HandOff(contact);
                }

                break;
            case AddContactStatus.Full or AddContactStatus.EndPointConflict when outcome.ContactToPing is { } stale:
                Ping(stale);
                break;
            case AddContactStatus.Refused:
                _metrics.ContactRefused(outcome.Refusal == ContactRefusal.Subnet ? "subnet" : "endpoint");
                if (outcome.ContactToPing is { } holder)
                {
                    // Another id claims the holder's endpoint: if the holder no longer answers there as itself, it gives way.
                    Ping(holder);
                }

                break;
        }
    }

    // Apart from Observe: a lambda there capturing its parameter made the compiler allocate the closure on every
    // call (every datagram a node receives), not only when a newcomer is handed keys.
    private void HandOff(Contact newcomer) => _background.Run(ct => HandOffAsync(newcomer, ct));

    private void Ping(Contact stale)
    {
        lock (_gate)
        {
            if (!_pinging.Add(stale.Id))
            {
                return;
            }
        }

        _background.Run(ct => PingStaleAsync(stale, ct));
    }

    /// <summary>An RPC to <paramref name="contact"/> timed out: one failure more (one lost datagram does not evict).</summary>
    public void Failed(Contact contact)
    {
        if (_routing.RecordFailure(contact.Id, _time.GetUtcNow()).IsEvicted)
        {
            _metrics.ContactEvicted();
            Log.ContactEvicted(_logger, contact.Id, contact.EndPoint);
        }
    }

    private async Task PingStaleAsync(Contact stale, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 0; attempt < _failuresBeforeEviction; attempt++)
            {
                var result = await _rpc.CallAsync(stale.EndPoint, new PingRequest(_self), null, cancellationToken).ConfigureAwait(false);
                if (result.Status == RpcStatus.Ok && result.Response is PingResponse ping)
                {
                    if (ping.Responder == stale.Id)
                    {
                        _routing.Observe(stale, _time.GetUtcNow());
                        return;
                    }

                    // Another node answers at the endpoint now (a restart with a new id): the old id is gone from there.
                    if (_routing.Remove(stale.Id))
                    {
                        _metrics.ContactEvicted();
                        Log.ContactEvicted(_logger, stale.Id, stale.EndPoint);
                    }

                    Observe(new Contact(ping.Responder, stale.EndPoint));
                    return;
                }

                if (result.Status is not RpcStatus.Timeout)
                {
                    return;
                }

                if (_routing.RecordFailure(stale.Id, _time.GetUtcNow()).Status is FailureStatus.Evicted or FailureStatus.EndPointReplaced)
                {
                    _metrics.ContactEvicted();
                    Log.ContactEvicted(_logger, stale.Id, stale.EndPoint);
                    return;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _pinging.Remove(stale.Id);
            }
        }
    }

    /// <summary>
    /// Kademlia §2.5: "for each key-value pair, the node determines whether the new node is among the k
    /// closest to the key; if so, and if this node is closer to the key than any of the others it knows,
    /// it stores the pair at the newcomer". The key is compared as it is, not hashed again.
    /// </summary>
    /// <remarks>
    /// The keys come from <see cref="RoutingTable.SelectKeysToHandOff"/>, so a newcomer costs a lookup in the
    /// table only for the keys near it, not one per stored key. Cached copies are not handed off: this node is
    /// not responsible for them, and a STORE would make them full replicas. Nothing is sent before the newcomer
    /// answered a ping as the id it claimed (<see cref="PeerVerifier"/>): a request with a forged source address
    /// and an id near a large value would otherwise draw full-size STOREs to that address (issue 14).
    /// </remarks>
    private async Task HandOffAsync(Contact newcomer, CancellationToken cancellationToken)
    {
        var held = _store.GetAll().Where(v => v.Origin != ValueOrigin.Cached).Select(v => v.Key);
        var keys = _routing.SelectKeysToHandOff(newcomer.Id, held);
        if (keys.Count == 0)
        {
            return;
        }

        if (!_verifier.TryVerify(newcomer, out var verified) || !await verified.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var handedOff = 0;
        foreach (var key in keys)
        {
            if (!_store.TryGet(key, out var stored) || stored.Origin == ValueOrigin.Cached)
            {
                continue;
            }

            var request = new StoreRequest(_self, stored.Key, stored.Value) { PublishedAt = stored.PublishedAt };
            var result = await _rpc.CallAsync(newcomer.EndPoint, request, null, cancellationToken).ConfigureAwait(false);
            if (result.Status != RpcStatus.Ok)
            {
                if (result.Status == RpcStatus.Timeout)
                {
                    Failed(newcomer);
                }

                break;
            }

            handedOff++;
        }

        if (handedOff > 0)
        {
            Log.HandedOff(_logger, handedOff, newcomer.Id);
        }
    }
}

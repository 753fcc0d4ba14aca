using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Telemetry;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Serves the five RPCs exactly as the Python peers expect (WIRE.md), and observes every sender into
/// the routing table with the address its datagram came from, except Liaa clients that asked not to
/// be (client mode). A STORE is acknowledged only once durable (with a data directory); a value too
/// large for the bound on replies goes only to a requester that proves its address (no amplification),
/// and waiting for that proof holds no serving slot.
/// </summary>
internal sealed class RequestHandler : IRpcHandler
{
    // A value hit's bytes beyond the value: the envelope, a Liaa header with the publication time, {"value": …}.
    private const int ValueReplyOverhead = 64;

    private readonly NodeId _self;

    // This node's answer to every PING: its id never changes, and a response is an immutable value.
    private readonly PingResponse _pingResponse;
    private readonly RoutingTable _routing;
    private readonly IValueStore _store;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly PeerVerifier _verifier;
    private readonly BackgroundWork _background;
    private readonly RpcOptions _options;
    private readonly int _k;
    private readonly TimeProvider _time;
    private readonly NodeMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>
    /// Serves as <paramref name="self"/> out of <paramref name="routing"/> and <paramref name="store"/>; senders go to
    /// <paramref name="contacts"/>. A large value waits for <paramref name="verifier"/> as <paramref name="background"/>
    /// work and is then sent late through <paramref name="rpc"/> (the endpoint this handler serves).
    /// </summary>
    public RequestHandler(
        NodeId self,
        RoutingTable routing,
        IValueStore store,
        RpcEndpoint rpc,
        ContactTracker contacts,
        PeerVerifier verifier,
        BackgroundWork background,
        RpcOptions options,
        KademliaOptions kademlia,
        TimeProvider time,
        NodeMetrics metrics,
        ILogger logger)
    {
        _self = self;
        _pingResponse = new PingResponse(self);
        _routing = routing;
        _store = store;
        _rpc = rpc;
        _contacts = contacts;
        _verifier = verifier;
        _background = background;
        _options = options;
        _k = kademlia.K;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public ValueTask<RpcResponse?> HandleAsync(RpcRequest request, RpcRequestContext context, CancellationToken cancellationToken)
    {
        var sender = request switch
        {
            PingRequest ping => ping.Sender,
            StoreRequest storeRequest => storeRequest.Sender,
            FindNodeRequest findNode => findNode.Sender,
            FindValueRequest findValue => findValue.Sender,
            _ => (NodeId?)null,
        };

        if (sender is { } id && !context.IsClientMode)
        {
            // The sender's contact as its last request made it, when that was recent: no contact per request served. (A
            // simulated node's table interns contacts in its pool instead, and its senders are too many for a small table.)
            _contacts.Observe(_routing.IsPooled ? new Contact(id, context.Remote) : RecentlyDecoded.Contact(id, context.Remote));
        }

        switch (request)
        {
            case StoreRequest store:
                return StoreAsync(store, context, cancellationToken);
            case FindValueRequest findValue:
                return FindValueAsync(findValue, context);
        }

        RpcResponse? response = request switch
        {
            PingRequest => _pingResponse,
            FindNodeRequest findNode => new FindNodeResponse(Closest(findNode.Target, context)),
            StunRequest => new StunResponse(context.Remote),
            _ => null,
        };
        return ValueTask.FromResult(response);
    }

    /// <summary>Stores, and acknowledges only once the value is durable (at once without a data directory).</summary>
    private async ValueTask<RpcResponse?> StoreAsync(StoreRequest request, RpcRequestContext context, CancellationToken cancellationToken)
    {
        var response = Store(request, context);
        if (response.Stored)
        {
            try
            {
                await _store.WhenDurableAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Served from memory, but not durable: say so (a Python requester ignores the answer anyway).
                return new StoreResponse(false);
            }
        }

        return response;
    }

    private StoreResponse Store(StoreRequest request, RpcRequestContext context)
    {
        var now = _time.GetUtcNow();
        var origin = request.CacheTtl is null ? ValueOrigin.Replicated : ValueOrigin.Cached;

        // A publication time from the future (a skewed or lying clock) would keep the value alive
        // past its TTL: clamp it to now. Python peers send none; their store counts from now.
        var publishedAt = request.PublishedAt is { } at && at <= now ? at : now;
        var result = _store.Put(request.Key, request.Value, origin, publishedAt, request.CacheTtl, StoreSender.From(context.Remote, request.PublishedAt is not null));
        _metrics.StoreReceived(result.IsAccepted);
        if (!result.IsAccepted)
        {
            Log.StoreRefused(_logger, request.Key, context.Remote, result.Reason);
        }

        return new StoreResponse(result.IsAccepted);
    }

    /// <summary>
    /// The value, or the closest contacts. A value too large for the bound on replies (no amplification,
    /// <see cref="RpcOptions.MaxReplyBytes"/>) is sent only to a requester that proved its address by answering a
    /// ping with the id it sent (<see cref="PeerVerifier"/>): a forged source address gets a tiny ping, never the
    /// value. Until then the request gets no reply and holds no serving slot: the value follows, with the
    /// request's message id, once the ping is answered (within the requester's own timeout).
    /// </summary>
    private ValueTask<RpcResponse?> FindValueAsync(FindValueRequest request, RpcRequestContext context)
    {
        if (!_store.TryGet(request.Key, out var stored))
        {
            return ValueTask.FromResult<RpcResponse?>(FindValueResponse.Miss(Closest(request.Key, context)));
        }

        var hit = FindValueResponse.Hit(stored.Value, stored.PublishedAt);
        if (_options.MaxReplyBytes(context.RequestBytes) is not { } limit || stored.Size + ValueReplyOverhead <= limit
            || _rpc.HasAnsweredAs(context.Remote, request.Sender))
        {
            return ValueTask.FromResult<RpcResponse?>(hit);
        }

        if (!_verifier.TryVerify(new Contact(request.Sender, context.Remote), out var verified)
            || !ReplyOnceVerified(verified, hit, request.Key, stored.Size, context))
        {
            Withheld(request.Key, context.Remote, stored.Size);
        }

        return ValueTask.FromResult<RpcResponse?>(null);
    }

    // Apart from FindValueAsync: a lambda there capturing its parameters made the compiler allocate the closure on
    // every FIND_VALUE served, not only for a value held back.
    private bool ReplyOnceVerified(Task<bool> verified, FindValueResponse hit, NodeId key, int size, RpcRequestContext context) =>
        _background.Run(ct => ReplyOnceVerifiedAsync(verified, hit, key, size, context, ct));

    private async Task ReplyOnceVerifiedAsync(Task<bool> verified, FindValueResponse hit, NodeId key, int size, RpcRequestContext context, CancellationToken cancellationToken)
    {
        if (await verified.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            await _rpc.SendLateReplyAsync(hit, context).ConfigureAwait(false);
        }
        else
        {
            Withheld(key, context.Remote, size);
        }
    }

    private void Withheld(NodeId key, IPEndPoint remote, int size)
    {
        _metrics.ReplyWithheld();
        Log.ValueWithheld(_logger, key, remote, size);
    }

    /// <summary>Up to k contacts nearest to the target, without the requester (by endpoint) and without a node whose id is the target, as Python does; contacts that stopped answering are not handed out.</summary>
    private IReadOnlyList<Contact> Closest(NodeId target, RpcRequestContext context) =>
        _routing.FindClosestExcept(target, _k, excludedId: target, excludedEndPoint: context.Remote, includeStale: false);
}

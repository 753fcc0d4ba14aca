using System.Diagnostics;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// What a node does for its user and for the network: join (§2.5), put (STORE at the k closest),
/// get (FIND_VALUE, then a cache STORE at the closest node that lacked the value, §2.3), and the
/// periodic jobs: bucket refresh, hourly replication and the original publisher's republish (§2.5,
/// §4.1). Each operation is one span that parents the lookup and RPC spans beneath it.
/// </summary>
internal sealed class DhtOperations
{
    private readonly NodeRuntime _node;

    public DhtOperations(NodeRuntime node)
    {
        _node = node;
    }

    /// <summary>
    /// Joins through <paramref name="seeds"/>: pings each (learning its id), looks up the own id, then
    /// refreshes every bucket further away than the closest neighbour (§2.3). With no seed, or none
    /// answering, the node stands alone as the start of a new network. Contacts <paramref name="remembered"/>
    /// from a previous run are pinged alongside the seeds and enter the routing table only if they answer,
    /// with the id they answer with: a remembered contact is a hint, never trusted as it was saved.
    /// </summary>
    public async Task<JoinResult> JoinAsync(IReadOnlyList<IPEndPoint> seeds, IReadOnlyList<Contact> remembered, CancellationToken cancellationToken)
    {
        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("join");
        activity?.SetTag("liaa.join.seeds", seeds.Count);
        var targets = seeds.Concat(remembered.Select(c => c.EndPoint).Where(e => !seeds.Contains(e))).ToArray();
        var pings = targets.Select(target => _node.Rpc.SendAsync(target, new PingRequest(_node.Self), null, cancellationToken)).ToArray();
        var results = await Task.WhenAll(pings).ConfigureAwait(false);
        int reached = 0, rememberedReached = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            if (results[i] is { Status: RpcStatus.Ok, Response: PingResponse ping } && ping.Responder != _node.Self)
            {
                _node.Contacts.Observe(new Contact(ping.Responder, targets[i]));
                _ = i < seeds.Count ? reached++ : rememberedReached++;
            }
        }

        if (reached + rememberedReached > 0)
        {
            await _node.Lookups.RunAsync(LookupKind.FindNode, _node.Self, cancellationToken).ConfigureAwait(false);
            await RefreshAsync(RefreshScope.BeyondClosestNeighbour, cancellationToken).ConfigureAwait(false);
        }

        activity?.SetTag("liaa.join.reached", reached);
        activity?.SetTag("liaa.join.remembered_reached", rememberedReached);
        activity?.SetTag("liaa.routing.size", _node.Routing.Count);
        return new JoinResult(seeds.Count, reached, _node.Routing.Count) { RememberedReached = rememberedReached };
    }

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> at the k closest nodes, and always
    /// locally as this node's own value (so the original publisher can republish it, and a lone node
    /// still holds what it was given: the Python ancestor stores nothing when it has no neighbours).
    /// </summary>
    public async Task<PutResult> PutAsync(NodeId key, DhtValue value, CancellationToken cancellationToken)
    {
        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("put");
        activity?.SetTag("liaa.key", key.ToString());
        var publishedAt = _node.Time.GetUtcNow();
        var local = _node.Store.Put(key, value, ValueOrigin.Own, publishedAt);
        if (!local.IsAccepted)
        {
            activity?.SetStatus(ActivityStatusCode.Error, local.Reason);
            return new PutResult(key, false, 0, 0, local.Reason) { Refusal = local.Status };
        }

        try
        {
            // Nothing is acknowledged before it is on disk (a data directory), so a crash loses no put that returned.
            await _node.Store.WhenDurableAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return new PutResult(key, false, 0, 0, ex.Message) { IsStorageFailure = true };
        }

        var (stored, asked) = await StoreAtClosestAsync(key, value, publishedAt, _node.Options.Storage.PutAcknowledgements, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("liaa.put.stored", stored);
        activity?.SetTag("liaa.put.asked", asked);
        return new PutResult(key, true, stored, asked, null);
    }

    /// <summary>
    /// Reads <paramref name="key"/>: the local store first, then a FIND_VALUE lookup. A value found by
    /// lookup is cached at the closest node that answered without it, for a TTL that shrinks with its
    /// distance from the key (§2.3).
    /// </summary>
    public async Task<GetResult> GetAsync(NodeId key, CancellationToken cancellationToken)
    {
        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("get");
        activity?.SetTag("liaa.key", key.ToString());
        if (_node.Store.TryGet(key, out var local))
        {
            activity?.SetTag("liaa.get.source", "local");
            return new GetResult(key, local.Value, local.PublishedAt, IsLocal: true, Rounds: 0, NodesContacted: 0);
        }

        var lookup = await _node.Lookups.RunAsync(LookupKind.FindValue, key, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("liaa.get.found", lookup.Value is not null);
        if (lookup.Value is { } value && lookup.CacheCandidate is { } cacheAt)
        {
            // §2.3: the cached copy lives for what remains of the value's life, shortened with distance.
            var remaining = lookup.PublishedAt is { } published
                ? published + _node.Options.Storage.Ttl - _node.Time.GetUtcNow()
                : _node.Options.Storage.Ttl;
            var ttl = Lookup.CacheTtl(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, lookup.CacheCandidateNodesBetween);
            var request = new StoreRequest(_node.Self, key, value) { PublishedAt = lookup.PublishedAt, CacheTtl = ttl };
            _node.Background.Run(ct => _node.Rpc.SendAsync(cacheAt.EndPoint, request, null, ct));
        }

        return new GetResult(key, lookup.Value, lookup.PublishedAt, IsLocal: false, lookup.Rounds, lookup.NodesContacted);
    }

    /// <summary>
    /// Pings every stale contact (one that failed <see cref="Kademlia.KademliaOptions.FailuresBeforeEviction"/>
    /// times in a row and had no replacement to give way to). Stale contacts are left out of lookups and
    /// answers, so without this a contact cut off by a partition, or a node whose own link was down, would stay
    /// unused forever once the network heals; one that answers now is live again, one that still does not
    /// gets one more failure (and goes if a replacement is waiting).
    /// </summary>
    public async Task<int> ProbeStaleAsync(CancellationToken cancellationToken)
    {
        var stale = _node.Routing.GetBuckets().SelectMany(b => b.Contacts).Where(c => c.IsStale).Select(c => c.Contact).ToArray();
        if (stale.Length == 0)
        {
            return 0;
        }

        var pings = stale.Select(c => _node.Rpc.SendAsync(c.EndPoint, new PingRequest(_node.Self), new RpcCallOptions { PeerId = c.Id }, cancellationToken)).ToArray();
        var results = await Task.WhenAll(pings).ConfigureAwait(false);
        var revived = 0;
        for (var i = 0; i < stale.Length; i++)
        {
            switch (results[i])
            {
                case { Status: RpcStatus.Ok, Response: PingResponse ping }:
                    _node.Contacts.Observe(new Contact(ping.Responder, stale[i].EndPoint));
                    revived += ping.Responder == stale[i].Id ? 1 : 0;
                    break;
                case { Status: RpcStatus.Timeout }:
                    _node.Contacts.Failed(stale[i]);
                    break;
            }
        }

        return revived;
    }

    /// <summary>Looks up a random id in every bucket that saw no lookup for an hour (or, on join, every bucket beyond the closest neighbour).</summary>
    public async Task<int> RefreshAsync(RefreshScope scope, CancellationToken cancellationToken)
    {
        var targets = scope == RefreshScope.Stale
            ? _node.Routing.GetRefreshTargets(_node.Time.GetUtcNow(), _node.Random)
            : TargetsBeyondClosestNeighbour();
        if (targets.Count == 0)
        {
            return 0;
        }

        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("refresh");
        activity?.SetTag("liaa.refresh.buckets", targets.Count);
        foreach (var target in targets)
        {
            await _node.Lookups.RunAsync(LookupKind.FindNode, target, cancellationToken).ConfigureAwait(false);
        }

        _node.Metrics.Refreshed(targets.Count);
        return targets.Count;
    }

    /// <summary>
    /// Hourly replication (§2.5): every held value not received in the last interval is stored again
    /// at the k closest nodes, with its original publication time so it still expires on schedule.
    /// </summary>
    public async Task<int> ReplicateAsync(CancellationToken cancellationToken)
    {
        var due = _node.Store.GetDueForReplication(_node.Options.Storage.ReplicateInterval);
        if (due.Count == 0)
        {
            return 0;
        }

        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("replicate");
        activity?.SetTag("liaa.replicate.keys", due.Count);
        foreach (var stored in due)
        {
            await StoreAtClosestAsync(stored.Key, stored.Value, stored.PublishedAt, null, cancellationToken).ConfigureAwait(false);
            _node.Store.MarkReplicated(stored.Key);
        }

        _node.Metrics.Replicated(due.Count);
        return due.Count;
    }

    /// <summary>
    /// The original publisher's republish every 24 hours (§2.5), with a new publication time: it keeps the value alive.
    /// </summary>
    /// <remarks>
    /// The round works through a list of due values one lookup at a time, so a put may land meanwhile. Each value
    /// is therefore read again just before it is renewed, and renewed only if it is still the one listed (same
    /// value, same publication time, still this node's own): a newer put is never overwritten here, locally or
    /// (with a newer publication time) across the network. The renewal is <see cref="IValueStore.MarkRepublished"/>,
    /// which changes only the times; the STOREs carry what the store holds then, and are skipped if a put
    /// replaced it during the lookup.
    /// </remarks>
    public async Task<int> RepublishAsync(CancellationToken cancellationToken)
    {
        var due = _node.Store.GetOwnDueForRepublish(_node.Options.Storage.RepublishInterval);
        if (due.Count == 0)
        {
            return 0;
        }

        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("republish");
        activity?.SetTag("liaa.republish.keys", due.Count);
        var republished = 0;
        foreach (var listed in due)
        {
            if (!IsStillHeld(listed) || !_node.Store.MarkRepublished(listed.Key) || !_node.Store.TryGet(listed.Key, out var renewed))
            {
                continue;
            }

            await StoreAtClosestAsync(renewed.Key, renewed.Value, renewed.PublishedAt, null, cancellationToken, () => IsStillHeld(renewed)).ConfigureAwait(false);
            republished++;
        }

        activity?.SetTag("liaa.republish.renewed", republished);
        _node.Metrics.Republished(republished);
        return republished;
    }

    /// <summary>Whether the store still holds <paramref name="listed"/> as this node's own: same value, same publication time.</summary>
    private bool IsStillHeld(StoredValue listed) =>
        _node.Store.TryGet(listed.Key, out var current)
        && current.Origin == ValueOrigin.Own
        && current.PublishedAt == listed.PublishedAt
        && current.Value.Equals(listed.Value);

    /// <summary>A random id in every bucket that does not hold the own id: on join, those are further away than the closest neighbour.</summary>
    private List<NodeId> TargetsBeyondClosestNeighbour()
    {
        var targets = new List<NodeId>();
        foreach (var bucket in _node.Routing.GetBuckets())
        {
            if (!bucket.ContainsSelf)
            {
                targets.Add(IdPrefix.Random(bucket.Low, bucket.Depth, _node.Random));
            }
        }

        return targets;
    }

    /// <summary>
    /// Stores at the k closest nodes, all STOREs sent at once; with <paramref name="isStillCurrent"/>, only if it
    /// still holds once the lookup is done. Returns once <paramref name="acknowledgements"/> nodes stored it (all
    /// when null) or every STORE ended; the STOREs still out then finish as <see cref="NodeRuntime.PutTails"/>.
    /// </summary>
    /// <returns>Nodes that stored the value by the time this returns, and nodes asked.</returns>
    private async Task<(int Stored, int Asked)> StoreAtClosestAsync(
        NodeId key, DhtValue value, DateTimeOffset publishedAt, int? acknowledgements, CancellationToken cancellationToken, Func<bool>? isStillCurrent = null)
    {
        var lookup = await _node.Lookups.RunAsync(LookupKind.FindNode, key, cancellationToken).ConfigureAwait(false);
        if (isStillCurrent is not null && !isStillCurrent())
        {
            return (0, 0);
        }

        var targets = lookup.ClosestNodes;
        var request = new StoreRequest(_node.Self, key, value) { PublishedAt = publishedAt };
        var calls = new Dictionary<Task<RpcResult>, Contact>(targets.Count);
        foreach (var target in targets)
        {
            calls[_node.Rpc.SendAsync(target.EndPoint, request, null, cancellationToken)] = target;
        }

        var wanted = Math.Min(acknowledgements ?? targets.Count, targets.Count);
        var stored = 0;
        if (wanted == targets.Count)
        {
            await Task.WhenAll(calls.Keys).ConfigureAwait(false);
            foreach (var (call, target) in calls)
            {
                stored += Record(target, call.Result) ? 1 : 0;
            }

            return (stored, targets.Count);
        }

        while (calls.Count > 0 && stored < wanted)
        {
            var completed = await Task.WhenAny(calls.Keys).ConfigureAwait(false);
            stored += Record(calls[completed], await completed.ConfigureAwait(false)) ? 1 : 0;
            calls.Remove(completed);
        }

        if (calls.Count > 0)
        {
            var rest = calls.ToArray();
            _node.PutTails.Run(async _ =>
            {
                foreach (var (call, target) in rest)
                {
                    Record(target, await call.ConfigureAwait(false));
                }
            });
        }

        return (stored, targets.Count);
    }

    /// <summary>Notes a STORE's outcome against its node; true when the node stored the value.</summary>
    private bool Record(Contact target, RpcResult result)
    {
        switch (result.Status)
        {
            case RpcStatus.Ok:
                _node.Contacts.Observe(target);
                return result.Response is StoreResponse { Stored: true };
            case RpcStatus.Timeout:
                _node.Contacts.Failed(target);
                return false;
            default:
                return false;
        }
    }
}

/// <summary>Which buckets a refresh covers.</summary>
internal enum RefreshScope
{
    /// <summary>Buckets with no lookup within the refresh interval.</summary>
    Stale,

    /// <summary>On join: every bucket further away than the closest neighbour (§2.3).</summary>
    BeyondClosestNeighbour,
}

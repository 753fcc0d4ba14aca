using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// The periodic jobs of Kademlia §2.5 and §4.1 that <see cref="MaintenanceService"/> runs each tick: probing
/// stale contacts, refreshing buckets with no lookup for an hour, the hourly replication of held values and
/// the original publisher's republish. The join runs the refresh too (every bucket beyond the closest neighbour).
/// </summary>
internal sealed class MaintenanceJobs
{
    private readonly NodeId _self;
    private readonly RoutingTable _routing;
    private readonly IValueStore _store;
    private readonly StorageOptions _storage;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly LookupRunner _lookups;
    private readonly NodeMetrics _metrics;
    private readonly ClosestStorer _closest;

    public MaintenanceJobs(
        NodeId self, RoutingTable routing, IValueStore store, StorageOptions storage, TimeProvider time, Random random,
        RpcEndpoint rpc, ContactTracker contacts, LookupRunner lookups, NodeMetrics metrics, ClosestStorer closest)
    {
        _self = self;
        _routing = routing;
        _store = store;
        _storage = storage;
        _time = time;
        _random = random;
        _rpc = rpc;
        _contacts = contacts;
        _lookups = lookups;
        _metrics = metrics;
        _closest = closest;
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
        var stale = _routing.GetStaleContacts();
        if (stale.Length == 0)
        {
            return 0;
        }

        var pings = stale.Select(c => _rpc.SendAsync(c.EndPoint, new PingRequest(_self), new RpcCallOptions { PeerId = c.Id }, cancellationToken)).ToArray();
        var results = await Task.WhenAll(pings).ConfigureAwait(false);
        var revived = 0;
        for (var i = 0; i < stale.Length; i++)
        {
            switch (results[i])
            {
                case { Status: RpcStatus.Ok, Response: PingResponse ping }:
                    _contacts.Observe(new Contact(ping.Responder, stale[i].EndPoint));
                    revived += ping.Responder == stale[i].Id ? 1 : 0;
                    break;
                case { Status: RpcStatus.Timeout }:
                    _contacts.Failed(stale[i]);
                    break;
            }
        }

        return revived;
    }

    /// <summary>Looks up a random id in every bucket that saw no lookup for an hour (or, on join, every bucket beyond the closest neighbour).</summary>
    public async Task<int> RefreshAsync(RefreshScope scope, CancellationToken cancellationToken)
    {
        var targets = scope == RefreshScope.Stale
            ? _routing.GetRefreshTargets(_time.GetUtcNow(), _random)
            : TargetsBeyondClosestNeighbour();
        if (targets.Count == 0)
        {
            return 0;
        }

        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("refresh");
        activity?.SetTag("liaa.refresh.buckets", targets.Count);
        foreach (var target in targets)
        {
            await _lookups.RunAsync(LookupKind.FindNode, target, cancellationToken, endsAtConvergence: _lookups.RefreshEndsAtConvergence).ConfigureAwait(false);
        }

        _metrics.Refreshed(targets.Count);
        return targets.Count;
    }

    /// <summary>
    /// Hourly replication (§2.5): every held value not received in the last interval is stored again
    /// at the k closest nodes, with its original publication time so it still expires on schedule.
    /// </summary>
    public async Task<int> ReplicateAsync(CancellationToken cancellationToken)
    {
        var due = _store.GetDueForReplication(_storage.ReplicateInterval);
        if (due.Count == 0)
        {
            return 0;
        }

        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("replicate");
        activity?.SetTag("liaa.replicate.keys", due.Count);
        foreach (var stored in due)
        {
            await _closest.StoreAtClosestAsync(stored.Key, stored.Value, stored.PublishedAt, null, cancellationToken).ConfigureAwait(false);
            _store.MarkReplicated(stored.Key);
        }

        _metrics.Replicated(due.Count);
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
        var due = _store.GetOwnDueForRepublish(_storage.RepublishInterval);
        if (due.Count == 0)
        {
            return 0;
        }

        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("republish");
        activity?.SetTag("liaa.republish.keys", due.Count);
        var republished = 0;
        foreach (var listed in due)
        {
            if (!IsStillHeld(listed) || !_store.MarkRepublished(listed.Key) || !_store.TryGet(listed.Key, out var renewed))
            {
                continue;
            }

            await _closest.StoreAtClosestAsync(renewed.Key, renewed.Value, renewed.PublishedAt, null, cancellationToken, () => IsStillHeld(renewed)).ConfigureAwait(false);
            republished++;
        }

        activity?.SetTag("liaa.republish.renewed", republished);
        _metrics.Republished(republished);
        return republished;
    }

    /// <summary>Whether the store still holds <paramref name="listed"/> as this node's own: same value, same publication time.</summary>
    private bool IsStillHeld(StoredValue listed) =>
        _store.TryGet(listed.Key, out var current)
        && current.Origin == ValueOrigin.Own
        && current.PublishedAt == listed.PublishedAt
        && current.Value.Equals(listed.Value);

    /// <summary>A random id in every bucket that does not hold the own id: on join, those are further away than the closest neighbour.</summary>
    private List<NodeId> TargetsBeyondClosestNeighbour() => _routing.GetTargetsBeyondClosestNeighbour(_random);
}


/// <summary>Which buckets a refresh covers.</summary>
internal enum RefreshScope
{
    /// <summary>Buckets with no lookup within the refresh interval.</summary>
    Stale,

    /// <summary>On join: every bucket further away than the closest neighbour (§2.3).</summary>
    BeyondClosestNeighbour,
}

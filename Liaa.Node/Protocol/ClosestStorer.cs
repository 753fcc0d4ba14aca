using System.Diagnostics;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Stores a value at the k closest nodes of its key (§2.3): one FIND_NODE lookup, then a STORE to each of the
/// nodes it found, all at once. Shared by put, replication and republish.
/// </summary>
/// <remarks>
/// A put's lookup may end at convergence (<see cref="Lookup.EndsAtConvergence"/>): its STOREs are then the
/// lookup's final step, sent to the k nearest nodes seen whether or not they answered a FIND_NODE, and a STORE
/// that fails (times out) is sent on to the next nearest node seen, so k live nodes are still asked to store.
/// </remarks>
internal sealed class ClosestStorer
{
    private readonly NodeId _self;
    private readonly LookupRunner _lookups;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly BackgroundWork _putTails;
    private readonly int _k;
    private readonly NodeMetrics _metrics;

    public ClosestStorer(NodeId self, LookupRunner lookups, RpcEndpoint rpc, ContactTracker contacts, BackgroundWork putTails, int k, NodeMetrics metrics)
    {
        _metrics = metrics;
        _self = self;
        _lookups = lookups;
        _rpc = rpc;
        _contacts = contacts;
        _putTails = putTails;
        _k = k;
    }

    /// <summary>
    /// The neighbourhoods of recent lookups ending at convergence, which a put of a key they cover reuses instead of a
    /// lookup of its own (<see cref="Storage.StorageOptions.PutLookupReuse"/>); null: every put runs its lookup.
    /// </summary>
    public RecentNeighbourhoods? RecentLookups { get; init; }

    /// <summary>The table whose nearest contacts join a reused neighbourhood's (required with <see cref="RecentLookups"/>).</summary>
    public RoutingTable? Routing { get; init; }

    /// <summary>
    /// Stores at the k closest nodes, all STOREs sent at once; with <paramref name="isStillCurrent"/>, only if it
    /// still holds once the lookup is done. Returns once <paramref name="acknowledgements"/> nodes stored it (all
    /// when null or 0) or every STORE ended; the STOREs still out then finish as the put tails (awaited before the node stops).
    /// With <paramref name="endsAtConvergence"/>, the lookup ends at convergence and the STOREs are its final step.
    /// </summary>
    /// <returns>Nodes that stored the value by the time this returns, and STOREs sent by then.</returns>
    public async Task<(int Stored, int Asked)> StoreAtClosestAsync(
        NodeId key, DhtValue value, DateTimeOffset publishedAt, int? acknowledgements, CancellationToken cancellationToken, Func<bool>? isStillCurrent = null,
        bool endsAtConvergence = false)
    {
        IReadOnlyList<Contact>? candidates = endsAtConvergence ? Reused(key) : null;
        if (candidates is null)
        {
            var lookup = await _lookups.RunAsync(LookupKind.FindNode, key, cancellationToken, endsAtConvergence).ConfigureAwait(false);
            candidates = endsAtConvergence ? lookup.Candidates : lookup.ClosestNodes;
            if (endsAtConvergence && !lookup.DeadlineExceeded)
            {
                RecentLookups?.Add(key, lookup.Candidates);
            }
        }

        if (isStillCurrent is not null && !isStillCurrent())
        {
            return (0, 0);
        }

        var count = Math.Min(_k, candidates.Count);
        if (count == 0)
        {
            return (0, 0);
        }

        var wanted = acknowledgements is { } acks and > 0 ? Math.Min(acks, count) : count;
        var wave = new StoreWave(this, new StoreRequest(_self, key, value) { PublishedAt = publishedAt }, wanted, candidates.Skip(count), cancellationToken);
        wave.Start(candidates.Take(count));
        await wave.Enough.ConfigureAwait(false);
        var (stored, asked) = wave.Return();
        if (!wave.AllEnded.IsCompleted)
        {
            _putTails.Run(_ => wave.AllEnded);
        }

        return (stored, asked);
    }

    /// <summary>
    /// The 2k nearest nodes to <paramref name="key"/> that a recent lookup covering it and the routing table know of,
    /// nearest first, or null when no recent lookup covers the key.
    /// </summary>
    private List<Contact>? Reused(NodeId key)
    {
        if (RecentLookups?.Covering(key) is not { } seen)
        {
            return null;
        }

        var nearest = new List<Contact>(seen.Length + 2 * _k);
        var ids = new HashSet<NodeId>();
        foreach (var contact in Routing?.FindClosest(key, 2 * _k, includeStale: false) ?? [])
        {
            if (ids.Add(contact.Id))
            {
                nearest.Add(contact);
            }
        }

        foreach (var contact in seen)
        {
            if (contact.Id != _self && ids.Add(contact.Id))
            {
                nearest.Add(contact);
            }
        }

        nearest.Sort((a, b) => (a.Id ^ key).CompareTo(b.Id ^ key));
        if (nearest.Count > 2 * _k)
        {
            nearest.RemoveRange(2 * _k, nearest.Count - 2 * _k);
        }

        // The put's span says its nodes came from a recent lookup (it has no lookup span of its own).
        Activity.Current?.SetTag("liaa.put.lookup", "reused");
        return nearest;
    }

    /// <summary>Notes a STORE's outcome against its node; true when the node stored the value.</summary>
    private bool Record(Contact target, RpcResult result)
    {
        switch (result.Status)
        {
            case RpcStatus.Ok:
                _contacts.Observe(target);
                return result.Response is StoreResponse { Stored: true };
            case RpcStatus.Timeout:
                _contacts.Failed(target);
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// One value's STOREs: counts acknowledgements as they arrive (no task per wait), sends a failed STORE on to the
    /// next spare node, and completes <see cref="Enough"/> at the wanted count and <see cref="AllEnded"/> when none is out.
    /// </summary>
    private sealed class StoreWave(ClosestStorer owner, StoreRequest request, int wanted, IEnumerable<Contact> spares, CancellationToken cancellationToken)
    {
        private readonly Lock _gate = new();
        private readonly Queue<Contact> _spares = new(spares);
        private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _allEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _stored;
        private int _asked;
        private int _outstanding;
        private bool _returned;

        public Task Enough => _enough.Task;

        public Task AllEnded => _allEnded.Task;

        /// <summary>The caller is answered: what was stored and asked by now; STOREs ending later count as after the return.</summary>
        public (int Stored, int Asked) Return()
        {
            lock (_gate)
            {
                _returned = true;
                return (_stored, _asked);
            }
        }

        public void Start(IEnumerable<Contact> targets)
        {
            var list = targets.ToList();
            lock (_gate)
            {
                _asked += list.Count;
                _outstanding += list.Count;
            }

            foreach (var target in list)
            {
                Send(target);
            }
        }

        private void Send(Contact target) => _ = CompleteAsync(target, owner._rpc.SendAsync(target.EndPoint, request, null, cancellationToken));

        private async Task CompleteAsync(Contact target, Task<RpcResult> call)
        {
            var result = await call.ConfigureAwait(false);
            var stored = owner.Record(target, result);
            Contact? next = null;
            bool enough, ended, afterReturn;
            lock (_gate)
            {
                afterReturn = _returned;
                if (stored)
                {
                    _stored++;
                }
                else if (result.Status is not (RpcStatus.Ok or RpcStatus.Stopped or RpcStatus.Cancelled) && _spares.TryDequeue(out var spare))
                {
                    next = spare;
                    _asked++;
                    _outstanding++;
                }

                _outstanding--;
                enough = _stored >= wanted;
                ended = _outstanding == 0;
            }

            owner._metrics.StoreSent(stored ? "stored" : result.Status == RpcStatus.Ok ? "refused" : "failed", afterReturn);
            if (next is not null)
            {
                Send(next);
            }

            if (enough || ended)
            {
                _enough.TrySetResult();
            }

            if (ended)
            {
                _allEnded.TrySetResult();
            }
        }
    }
}

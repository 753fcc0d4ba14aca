using System.Diagnostics;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// A user's put and get: put stores at the k closest nodes (and always locally, as this node's own value);
/// get reads the local store, then runs a FIND_VALUE lookup and caches what it found at the closest node that
/// lacked it (§2.3). Each is one span that parents the lookup and RPC spans beneath it.
/// </summary>
internal sealed class ValuePublishing
{
    private readonly NodeId _self;
    private readonly IValueStore _store;
    private readonly StorageOptions _storage;
    private readonly TimeProvider _time;
    private readonly LookupRunner _lookups;
    private readonly RpcEndpoint _rpc;
    private readonly BackgroundWork _background;
    private readonly ClosestStorer _closest;

    public ValuePublishing(
        NodeId self, IValueStore store, StorageOptions storage, TimeProvider time, LookupRunner lookups, RpcEndpoint rpc, BackgroundWork background, ClosestStorer closest)
    {
        _self = self;
        _store = store;
        _storage = storage;
        _time = time;
        _lookups = lookups;
        _rpc = rpc;
        _background = background;
        _closest = closest;
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
        var publishedAt = _time.GetUtcNow();
        var local = _store.Put(key, value, ValueOrigin.Own, publishedAt);
        if (!local.IsAccepted)
        {
            activity?.SetStatus(ActivityStatusCode.Error, local.Reason);
            return new PutResult(key, false, 0, 0, local.Reason) { Refusal = local.Status };
        }

        try
        {
            // Nothing is acknowledged before it is on disk (a data directory), so a crash loses no put that returned.
            await _store.WhenDurableAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return new PutResult(key, false, 0, 0, ex.Message) { IsStorageFailure = true };
        }

        var (stored, asked) = await _closest.StoreAtClosestAsync(key, value, publishedAt, _storage.PutAcknowledgements, cancellationToken, endsAtConvergence: _storage.PutStoresAtConvergence).ConfigureAwait(false);
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
        if (_store.TryGet(key, out var local))
        {
            activity?.SetTag("liaa.get.source", "local");
            return new GetResult(key, local.Value, local.PublishedAt, IsLocal: true, Rounds: 0, NodesContacted: 0);
        }

        var lookup = await _lookups.RunAsync(LookupKind.FindValue, key, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("liaa.get.found", lookup.Value is not null);
        if (lookup.Value is { } value && lookup.CacheCandidate is { } cacheAt)
        {
            // §2.3: the cached copy lives for what remains of the value's life, shortened with distance.
            var remaining = lookup.PublishedAt is { } published
                ? published + _storage.Ttl - _time.GetUtcNow()
                : _storage.Ttl;
            var ttl = Lookup.CacheTtl(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, lookup.CacheCandidateNodesBetween);
            var request = new StoreRequest(_self, key, value) { PublishedAt = lookup.PublishedAt, CacheTtl = ttl };
            _background.Run(ct => _rpc.SendAsync(cacheAt.EndPoint, request, null, ct));
        }

        return new GetResult(key, lookup.Value, lookup.PublishedAt, IsLocal: false, lookup.Rounds, lookup.NodesContacted);
    }
}

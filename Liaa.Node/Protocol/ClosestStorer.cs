using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Stores a value at the k closest nodes of its key (§2.3): one FIND_NODE lookup, then a STORE to each of the
/// nodes it found, all at once. Shared by put, replication and republish.
/// </summary>
internal sealed class ClosestStorer
{
    private readonly NodeId _self;
    private readonly LookupRunner _lookups;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly BackgroundWork _putTails;

    public ClosestStorer(NodeId self, LookupRunner lookups, RpcEndpoint rpc, ContactTracker contacts, BackgroundWork putTails)
    {
        _self = self;
        _lookups = lookups;
        _rpc = rpc;
        _contacts = contacts;
        _putTails = putTails;
    }

    /// <summary>
    /// Stores at the k closest nodes, all STOREs sent at once; with <paramref name="isStillCurrent"/>, only if it
    /// still holds once the lookup is done. Returns once <paramref name="acknowledgements"/> nodes stored it (all
    /// when null) or every STORE ended; the STOREs still out then finish as the put tails (awaited before the node stops).
    /// </summary>
    /// <returns>Nodes that stored the value by the time this returns, and nodes asked.</returns>
    public async Task<(int Stored, int Asked)> StoreAtClosestAsync(
        NodeId key, DhtValue value, DateTimeOffset publishedAt, int? acknowledgements, CancellationToken cancellationToken, Func<bool>? isStillCurrent = null)
    {
        var lookup = await _lookups.RunAsync(LookupKind.FindNode, key, cancellationToken).ConfigureAwait(false);
        if (isStillCurrent is not null && !isStillCurrent())
        {
            return (0, 0);
        }

        var targets = lookup.ClosestNodes;
        var request = new StoreRequest(_self, key, value) { PublishedAt = publishedAt };
        var calls = new Dictionary<Task<RpcResult>, Contact>(targets.Count);
        foreach (var target in targets)
        {
            calls[_rpc.SendAsync(target.EndPoint, request, null, cancellationToken)] = target;
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
            _putTails.Run(async _ =>
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
                _contacts.Observe(target);
                return result.Response is StoreResponse { Stored: true };
            case RpcStatus.Timeout:
                _contacts.Failed(target);
                return false;
            default:
                return false;
        }
    }
}

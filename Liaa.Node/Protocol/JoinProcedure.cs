using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Joining the network (§2.5): ping the seeds (and contacts remembered from a previous run), look up the own
/// id, refresh every bucket beyond the closest neighbour.
/// </summary>
internal sealed class JoinProcedure
{
    private readonly NodeId _self;
    private readonly RoutingTable _routing;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly LookupRunner _lookups;
    private readonly MaintenanceJobs _maintenance;

    public JoinProcedure(NodeId self, RoutingTable routing, RpcEndpoint rpc, ContactTracker contacts, LookupRunner lookups, MaintenanceJobs maintenance)
    {
        _self = self;
        _routing = routing;
        _rpc = rpc;
        _contacts = contacts;
        _lookups = lookups;
        _maintenance = maintenance;
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
        var pings = targets.Select(target => _rpc.SendAsync(target, new PingRequest(_self), null, cancellationToken)).ToArray();
        var results = await Task.WhenAll(pings).ConfigureAwait(false);
        int reached = 0, rememberedReached = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            if (results[i] is { Status: RpcStatus.Ok, Response: PingResponse ping } && ping.Responder != _self)
            {
                _contacts.Observe(new Contact(ping.Responder, targets[i]));
                _ = i < seeds.Count ? reached++ : rememberedReached++;
            }
        }

        if (reached + rememberedReached > 0)
        {
            await _lookups.RunAsync(LookupKind.FindNode, _self, cancellationToken).ConfigureAwait(false);
            await _maintenance.RefreshAsync(RefreshScope.BeyondClosestNeighbour, cancellationToken).ConfigureAwait(false);
        }

        activity?.SetTag("liaa.join.reached", reached);
        activity?.SetTag("liaa.join.remembered_reached", rememberedReached);
        activity?.SetTag("liaa.routing.size", _routing.Count);
        return new JoinResult(seeds.Count, reached, _routing.Count) { RememberedReached = rememberedReached };
    }
}

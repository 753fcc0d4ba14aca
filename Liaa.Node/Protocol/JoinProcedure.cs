using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Joining the network (§2.5): ping the seeds (and contacts remembered from a previous run), look up the own
/// id, refresh every bucket beyond the closest neighbour; beside the lookup, ping every contact the seeds name as
/// closest to the own id, all at once (<see cref="IntroduceAsync"/>, not in the paper).
/// </summary>
internal sealed class JoinProcedure
{
    /// <summary>How long the first ping to a seed waits before it is sent again; each next one waits twice as long.</summary>
    internal static readonly TimeSpan FirstSeedPingTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an introduction ping (<see cref="IntroduceAsync"/>) waits: one that is not answered by then is left to the lookup.</summary>
    internal static readonly TimeSpan IntroductionPingTimeout = TimeSpan.FromSeconds(1);

    private readonly NodeId _self;
    private readonly TimeSpan _seedPingBudget;
    private readonly RoutingTable _routing;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly LookupRunner _lookups;
    private readonly MaintenanceJobs _maintenance;
    private readonly bool _clientMode;
    private readonly Action<IPEndPoint> _learnedExternalEndPoint;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>
    /// The join of <paramref name="self"/>. A client (<paramref name="clientMode"/>) never asks where peers see
    /// it: it is not a contact anyone keeps. <paramref name="learnedExternalEndPoint"/> is told where a peer saw
    /// this node's datagrams come from (a wildcard-bound node's <c>stun</c> answer). A seed is asked again and
    /// again within <paramref name="seedPingBudget"/> (the RPC timeout) on <paramref name="time"/>, see <see cref="PingSeedAsync"/>. Each step's
    /// end is logged at Debug on <paramref name="logger"/> (category <c>Liaa.Node.Join</c>) with the routing table's size.
    /// </summary>
    public JoinProcedure(
        NodeId self,
        RoutingTable routing,
        RpcEndpoint rpc,
        ContactTracker contacts,
        LookupRunner lookups,
        MaintenanceJobs maintenance,
        bool clientMode,
        Action<IPEndPoint> learnedExternalEndPoint,
        TimeSpan seedPingBudget,
        TimeProvider time,
        ILogger logger)
    {
        _time = time;
        _logger = logger;
        _seedPingBudget = seedPingBudget;
        _clientMode = clientMode;
        _learnedExternalEndPoint = learnedExternalEndPoint;
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
    public Task<JoinResult> JoinAsync(IReadOnlyList<IPEndPoint> seeds, IReadOnlyList<Contact> remembered, CancellationToken cancellationToken) =>
        RunAsync(seeds, remembered, lookUp: true, cancellationToken);

    /// <summary>
    /// A short-lived client's join: pings each seed (learning its id) and keeps those that answer in the routing
    /// table, with no lookup of the own id and no refresh. The client's one get or put runs a lookup of its own
    /// that starts from the seeds, so a join's lookups would only add round trips before it.
    /// </summary>
    public Task<JoinResult> ReachSeedsAsync(IReadOnlyList<IPEndPoint> seeds, CancellationToken cancellationToken) =>
        RunAsync(seeds, [], lookUp: false, cancellationToken);

    private async Task<JoinResult> RunAsync(IReadOnlyList<IPEndPoint> seeds, IReadOnlyList<Contact> remembered, bool lookUp, CancellationToken cancellationToken)
    {
        using var activity = LiaaDiagnostics.ActivitySource.StartActivity("join");
        activity?.SetTag("liaa.join.seeds", seeds.Count);
        var targets = seeds.Concat(remembered.Select(c => c.EndPoint).Where(e => !seeds.Contains(e))).ToArray();
        var pings = targets.Select(target => PingSeedAsync(target, cancellationToken)).ToArray();
        var results = await Task.WhenAll(pings).ConfigureAwait(false);
        int reached = 0, rememberedReached = 0, selfSeeds = 0;
        var answered = new List<IPEndPoint>();
        for (var i = 0; i < targets.Length; i++)
        {
            if (results[i] is { Status: RpcStatus.Ok, Response: PingResponse self } && self.Responder == _self)
            {
                // Our own address by another name (a wildcard-bound node listed among the seeds it was given).
                selfSeeds += i < seeds.Count ? 1 : 0;
            }
            else if (results[i] is { Status: RpcStatus.Ok, Response: PingResponse ping })
            {
                _contacts.Observe(new Contact(ping.Responder, targets[i]));
                _ = i < seeds.Count ? reached++ : rememberedReached++;
                answered.Add(targets[i]);
            }
        }

        Log.JoinStep(_logger, "seeds pinged", _routing.Count);
        if (reached + rememberedReached > 0 && lookUp)
        {
            var bound = _rpc.LocalEndPoint.Address;
            if (!_clientMode && (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)))
            {
                await LearnExternalEndPointAsync(answered, cancellationToken).ConfigureAwait(false);
            }

            var introduction = IntroduceAsync(answered, cancellationToken);
            await _lookups.RunAsync(LookupKind.FindNode, _self, cancellationToken).ConfigureAwait(false);
            Log.JoinStep(_logger, "own id looked up", _routing.Count);
            await _maintenance.RefreshAsync(RefreshScope.BeyondClosestNeighbour, cancellationToken).ConfigureAwait(false);
            Log.JoinStep(_logger, "buckets refreshed", _routing.Count);
            await introduction.ConfigureAwait(false);
        }

        activity?.SetTag("liaa.join.reached", reached);
        activity?.SetTag("liaa.join.remembered_reached", rememberedReached);
        activity?.SetTag("liaa.routing.size", _routing.Count);
        return new JoinResult(seeds.Count - selfSeeds, reached, _routing.Count) { RememberedReached = rememberedReached, SelfSeeds = selfSeeds };
    }

    /// <summary>
    /// The join's introduction, beside the paper's lookup of the own id (not instead of it): asks the seeds that answered
    /// for the contacts closest to this node's id (the FIND_NODE the lookup also starts with) and pings every one of them
    /// at once. Each that answers enters the routing table; each learns this node from the ping (a request's sender is
    /// observed like any contact). The lookup reaches them α at a time, one wave after another: in a cluster started
    /// all at once, on few cores, every wave waits for busy peers, and the nodes of a fresh 20-node cluster took up to
    /// 1.7 s to know 8 live peers (issue 15 item 4). Introduced, a joiner knows the seed's k closest within two round
    /// trips of the seed's answer, and they know it (on the simulator: the 8th peer heard from after 3 round trips from
    /// the first ping instead of 4, JoinIntroductionTests). Costs a second FIND_NODE to each seed (at most 3) and a ping
    /// per contact named (as many as one answer holds, at most k); a contact silent for
    /// <see cref="IntroductionPingTimeout"/> is left to the lookup, and is not counted as failed.
    /// </summary>
    private async Task IntroduceAsync(IReadOnlyList<IPEndPoint> answered, CancellationToken cancellationToken)
    {
        var asks = answered.Take(3).Select(seed => _rpc.SendAsync(seed, new FindNodeRequest(_self, _self), null, cancellationToken)).ToArray();
        var named = new Dictionary<NodeId, Contact>();
        var largestAnswer = 0;
        foreach (var result in await Task.WhenAll(asks).ConfigureAwait(false))
        {
            if (result is { Status: RpcStatus.Ok, Response: FindNodeResponse { Contacts: var contacts } })
            {
                largestAnswer = Math.Max(largestAnswer, contacts.Count);
                foreach (var contact in contacts.Where(c => c.Id != _self && !answered.Contains(c.EndPoint)))
                {
                    named.TryAdd(contact.Id, contact);
                }
            }
        }

        // As many as one answer holds (at most k), the closest: seeds that name different contacts add no more pings.
        var options = new RpcCallOptions { Timeout = IntroductionPingTimeout };
        var pings = named.Values.OrderBy(c => c.Id.DistanceTo(_self)).Take(largestAnswer).Select(async contact =>
        {
            var result = await _rpc.CallAsync(contact.EndPoint, new PingRequest(_self), options, cancellationToken).ConfigureAwait(false);
            if (result is { Status: RpcStatus.Ok, Response: PingResponse ping } && ping.Responder == contact.Id)
            {
                _contacts.Observe(new Contact(ping.Responder, contact.EndPoint));
            }
        }).ToArray();
        await Task.WhenAll(pings).ConfigureAwait(false);
        Log.JoinStep(_logger, "introduced", _routing.Count);
    }

    /// <summary>
    /// Asks the first peers that answered the join (<c>stun</c>, which Python peers answer too) where this node's
    /// datagrams come from, and reports the first usable answer. Only a node bound to 0.0.0.0 or :: asks: one
    /// bound to an address knows it (behind NAT too, its peers see the NAT's side).
    /// </summary>
    private async Task LearnExternalEndPointAsync(IEnumerable<IPEndPoint> answered, CancellationToken cancellationToken)
    {
        var asks = answered.Take(3).Select(peer => _rpc.SendAsync(peer, new StunRequest(), null, cancellationToken)).ToArray();
        foreach (var result in await Task.WhenAll(asks).ConfigureAwait(false))
        {
            if (result is { Status: RpcStatus.Ok, Response: StunResponse { EndPoint: var seen } } && PeerEndPoint.IsUsable(seen))
            {
                _learnedExternalEndPoint(IDatagramTransport.Normalize(seen));
                return;
            }
        }
    }

    /// <summary>
    /// Pings a seed (or a remembered contact) until it answers, sending again after 0.25, 0.5, 1 and 2 s, within the
    /// RPC timeout in all. A seed started beside this node (a cluster starting at once) is not listening yet when the
    /// first ping arrives, and UDP drops it without a word: one ping would then cost the whole RPC timeout (5 s)
    /// before the join is tried again; asked again, the seed is reached within a quarter second or so of its start.
    /// Every ping waits until the end of the budget: the first answer to any of them counts. (A seed busy starting,
    /// on a loaded machine, answered the first ping after 0.3 s; that answer was dropped as late when each ping
    /// waited only until the next was sent, and the join waited for the next one's.) Once one is answered, the others
    /// are cancelled.
    /// </summary>
    private async Task<RpcResult> PingSeedAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        using var settled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pings = new List<Task<RpcResult>>();
        var wait = FirstSeedPingTimeout;
        var sent = TimeSpan.Zero;
        var started = _time.GetTimestamp();
        try
        {
            while (true)
            {
                var options = new RpcCallOptions { Timeout = _seedPingBudget - sent };
                pings.Add(_rpc.SendAsync(target, new PingRequest(_self), options, settled.Token));
                var next = sent + wait < _seedPingBudget ? Task.Delay(wait, _time, settled.Token) : null;
                while (true)
                {
                    var completed = await Task.WhenAny(next is null ? pings : [.. pings, next]).ConfigureAwait(false);
                    if (completed == next && next.IsCanceled)
                    {
                        // Stopping: the pings still waiting end too (cancelled), and the first of them is the answer.
                        // When every ping had timed out already (the next was not sent yet), none is left to wait for.
                        next = null;
                        if (pings.Count == 0)
                        {
                            return new RpcResult(RpcStatus.Cancelled, null, _time.GetElapsedTime(started), false, 0);
                        }

                        continue;
                    }

                    if (completed == next)
                    {
                        break;
                    }

                    var ping = (Task<RpcResult>)completed;
                    pings.Remove(ping);
                    var result = await ping.ConfigureAwait(false);
                    if (result.Status != RpcStatus.Timeout || (next is null && pings.Count == 0))
                    {
                        return result;
                    }
                }

                sent += wait;
                wait += wait;
            }
        }
        finally
        {
            // The pings still waiting, and the timer: cancelled, and awaited (nothing outlives the join).
            await settled.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(pings).ConfigureAwait(false);
        }
    }
}

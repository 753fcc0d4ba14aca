using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Telemetry;

/// <summary>
/// The node's instruments, on meter <c>Liaa.Node</c>. Names are lowercase and dotted under
/// <c>liaa.</c> with OpenTelemetry units, so the Prometheus exporter derives
/// <c>liaa_rpc_client_duration_seconds</c> and friends. Tags stay low-cardinality: method, outcome,
/// origin, bucket index, drop reason; never a node id or a key.
/// </summary>
/// <remarks>
/// Gauges (routing table, buckets, storage) are observed from a <see cref="INodeStateSource"/> at
/// collection time, so they cost nothing between scrapes. Telemetry is a leaf: it knows the core's
/// vocabulary (<see cref="LookupKind"/>) and nothing of the layers that report to it, which pass
/// their tags as names (the RPC layer through <c>Rpc/RpcMetricsObserver.cs</c>).
/// <para>
/// Without an <see cref="IMeterFactory"/> (an embedded node, a simulation) every instance shares one process-wide meter,
/// never disposed: OpenTelemetry's SDK stops exporting an instrument of every meter of a name once one meter of that
/// name is disposed (open-telemetry/opentelemetry-dotnet#6412), so disposing one embedded node's own meter silenced the
/// metrics of every other node of the process. Instances on one meter share its instruments (a meter returns the
/// instrument it already has for the same name, unit and description) and its gauges, which observe every instance
/// not yet disposed.
/// </para>
/// </remarks>
public sealed class NodeMetrics : IDisposable
{
    private static readonly double[] SecondsBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly int[] RoundBuckets = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];

    // The meter of every instance made without a factory.
    private static readonly Lazy<Meter> ProcessMeter = new(() => new Meter(LiaaDiagnostics.Name));

    // The gauges of each meter, created once for all the instances on it (under the lock: the table may run its
    // callback twice for one meter, and each run creates gauges on it).
    private static readonly ConditionalWeakTable<Meter, NodeGauges> GaugesOfMeter = [];
    private static readonly Lock GaugesGate = new();

    private readonly NodeGauges _gauges;
    private readonly Histogram<double> _rpcClientDuration;
    private readonly Counter<long> _rpcClientTimeouts;
    private readonly Counter<long> _rpcServerRequests;
    private readonly Counter<long> _datagramsDropped;
    private readonly Counter<long> _repliesTrimmed;
    private readonly Counter<long> _repliesWithheld;
    private readonly Counter<long> _contactsRefused;
    private readonly Counter<long> _lookupsCutShort;
    private readonly Counter<long> _storesReceived;
    private readonly Counter<long> _storesSent;
    private readonly Histogram<double> _lookupDuration;
    private readonly Histogram<int> _lookupRounds;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _replicated;
    private readonly Counter<long> _republished;
    private readonly Counter<long> _refreshed;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _contactsAdded;
    private readonly Counter<long> _contactsEvicted;
    private volatile INodeStateSource? _state;
    private IReadOnlyList<string> _dropReasons = [];

    /// <summary>
    /// Reports on the <c>Liaa.Node</c> meter of <paramref name="meterFactory"/>, or on the process-wide one when null,
    /// sharing its instruments and gauges with the other instances on that meter.
    /// </summary>
    public NodeMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(LiaaDiagnostics.Name) ?? ProcessMeter.Value;

        _rpcClientDuration = meter.CreateHistogram(
            "liaa.rpc.client.duration", "s", "Duration of RPCs this node sent, by method and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _rpcClientTimeouts = meter.CreateCounter<long>("liaa.rpc.client.timeouts", "{request}", "RPCs this node sent that timed out.");
        _rpcServerRequests = meter.CreateCounter<long>("liaa.rpc.server.requests", "{request}", "RPC requests this node served, by method.");
        _datagramsDropped = meter.CreateCounter<long>("liaa.datagrams.dropped", "{datagram}", "Datagrams dropped without reply, by reason.");
        _repliesTrimmed = meter.CreateCounter<long>("liaa.replies.trimmed", "{reply}", "Replies whose contact list was cut so the reply stays within a bounded multiple of its request, by method.");
        _repliesWithheld = meter.CreateCounter<long>("liaa.replies.withheld", "{reply}", "Values not sent because the reply would exceed its bound and the requester did not prove its address.");
        _contactsRefused = meter.CreateCounter<long>("liaa.routing.contacts.refused", "{contact}", "Contacts kept out of the routing table by a defence, by reason (subnet, endpoint).");
        _lookupsCutShort = meter.CreateCounter<long>("liaa.lookup.deadline_exceeded", "{lookup}", "Lookups ended by the maximum lookup duration, by kind.");
        _storesReceived = meter.CreateCounter<long>("liaa.store.received", "{request}", "STORE requests received, by outcome.");
        _storesSent = meter.CreateCounter<long>(
            "liaa.store.sent", "{request}", "STOREs this node sent to the k closest of a key (puts, replication, republish), by outcome and by whether they ended after the put had returned.");
        _lookupDuration = meter.CreateHistogram(
            "liaa.lookup.duration", "s", "Duration of iterative lookups, by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _lookupRounds = meter.CreateHistogram(
            "liaa.lookup.rounds", "{round}", "Hops (rounds) of iterative lookups, by kind.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = RoundBuckets });
        _lookups = meter.CreateCounter<long>("liaa.lookups", "{lookup}", "Lookups completed, by kind and whether a value was found.");
        _replicated = meter.CreateCounter<long>("liaa.replication.values", "{value}", "Values replicated to the k closest nodes.");
        _republished = meter.CreateCounter<long>("liaa.republish.values", "{value}", "Own values republished by this node as original publisher.");
        _refreshed = meter.CreateCounter<long>("liaa.refresh.buckets", "{bucket}", "Buckets refreshed by a lookup of a random id in their range.");
        _expired = meter.CreateCounter<long>("liaa.storage.expired", "{value}", "Stored values dropped at expiry.");
        _contactsAdded = meter.CreateCounter<long>("liaa.routing.contacts.added", "{contact}", "Contacts added to the routing table.");
        _contactsEvicted = meter.CreateCounter<long>("liaa.routing.contacts.evicted", "{contact}", "Contacts evicted after repeated failures.");

        lock (GaugesGate)
        {
            _gauges = GaugesOfMeter.GetValue(meter, static meter => new NodeGauges(meter));
        }

        _gauges.Add(this);
    }

    /// <summary>Connects the gauges to a node's state.</summary>
    public void Observe(INodeStateSource state)
    {
        _state = state;

        // Counters of rare events (hourly jobs, evictions) exist from the first scrape, at 0, so
        // dashboards and alerts can use them before the first event. Recorded here, when the node
        // starts, because measurements made before a listener subscribed are lost.
        foreach (var rare in new[] { _replicated, _republished, _refreshed, _expired, _contactsEvicted, _repliesWithheld })
        {
            rare.Add(0);
        }

        // Likewise one dropped-datagram series per reason, so the drop panels show 0 rather than nothing.
        foreach (var reason in _dropReasons)
        {
            _datagramsDropped.Add(0, new KeyValuePair<string, object?>("liaa.drop.reason", reason));
        }
    }

    /// <summary>
    /// The drop reasons (their tag values) whose series exist from the start, at 0: recorded by <see cref="Observe(INodeStateSource)"/>.
    /// The RPC layer names them, as it names every drop (<see cref="DatagramDropped"/>), once per process; every node
    /// sharing this instance (<c>bench sim</c>) declares the same list again, which only keeps the reference: idempotent
    /// and allocation-free.
    /// </summary>
    public void DeclareDropReasons(IReadOnlyList<string> reasons) => _dropReasons = reasons;

    /// <summary>An RPC this node sent ended; <paramref name="method"/> and <paramref name="outcome"/> are wire names (<c>FIND_NODE</c>, <c>timeout</c>).</summary>
    public void RpcClientCompleted(string method, string outcome, bool timedOut, TimeSpan elapsed)
    {
        var methodTag = new KeyValuePair<string, object?>("rpc.method", method);
        _rpcClientDuration.Record(elapsed.TotalSeconds, methodTag, new KeyValuePair<string, object?>("liaa.rpc.outcome", outcome));
        if (timedOut)
        {
            _rpcClientTimeouts.Add(1, methodTag);
        }
    }

    public void RpcServed(string method) => _rpcServerRequests.Add(1, new KeyValuePair<string, object?>("rpc.method", method));

    /// <summary>A datagram was dropped; <paramref name="reason"/> in snake_case (<c>too_short</c>).</summary>
    public void DatagramDropped(string reason) => _datagramsDropped.Add(1, new KeyValuePair<string, object?>("liaa.drop.reason", reason));

    public void ReplyTrimmed(string method) => _repliesTrimmed.Add(1, new KeyValuePair<string, object?>("rpc.method", method));

    public void ReplyWithheld() => _repliesWithheld.Add(1);

    public void ContactRefused(string reason) => _contactsRefused.Add(1, new KeyValuePair<string, object?>("liaa.refusal.reason", reason));

    public void LookupDeadlineExceeded(LookupKind kind) =>
        _lookupsCutShort.Add(1, new KeyValuePair<string, object?>("liaa.lookup.kind", kind == LookupKind.FindValue ? "FIND_VALUE" : "FIND_NODE"));

    /// <summary>A STORE to one of the k closest ended: <paramref name="outcome"/> is stored, refused or failed.</summary>
    public void StoreSent(string outcome, bool afterReturn) =>
        _storesSent.Add(1, new KeyValuePair<string, object?>("liaa.store.outcome", outcome), new KeyValuePair<string, object?>("liaa.store.after_return", afterReturn));

    public void StoreReceived(bool stored) => _storesReceived.Add(1, new KeyValuePair<string, object?>("liaa.store.outcome", stored ? "stored" : "refused"));

    public void LookupCompleted(LookupKind kind, TimeSpan elapsed, int rounds, bool found)
    {
        var kindTag = new KeyValuePair<string, object?>("liaa.lookup.kind", kind == LookupKind.FindValue ? "FIND_VALUE" : "FIND_NODE");
        _lookupDuration.Record(elapsed.TotalSeconds, kindTag);
        _lookupRounds.Record(rounds, kindTag);
        _lookups.Add(1, kindTag, new KeyValuePair<string, object?>("liaa.lookup.found", found));
    }

    public void Replicated(int count) => _replicated.Add(count);

    public void Republished(int count) => _republished.Add(count);

    public void Refreshed(int buckets) => _refreshed.Add(buckets);

    public void Expired(int count) => _expired.Add(count);

    public void ContactAdded() => _contactsAdded.Add(1);

    public void ContactEvicted() => _contactsEvicted.Add(1);

    /// <summary>Takes this instance out of its meter's gauges; the meter stays (its factory's, or the process's).</summary>
    public void Dispose() => _gauges.Remove(this);

    private IEnumerable<Measurement<long>> ObserveLimit(Func<StorageGauges, long> read)
    {
        if (_state is { } state)
        {
            yield return new Measurement<long>(read(state.GetStorage()));
        }
    }

    private IEnumerable<Measurement<double>> ObserveBucketFill()
    {
        if (_state is not { } state)
        {
            yield break;
        }

        var fills = state.GetBucketFill();
        for (var i = 0; i < fills.Count; i++)
        {
            yield return new Measurement<double>(fills[i], new KeyValuePair<string, object?>("liaa.bucket", i));
        }
    }

    private IEnumerable<Measurement<long>> ObserveStorage(bool bytes)
    {
        if (_state is not { } state)
        {
            yield break;
        }

        foreach (var held in state.GetStorage().Origins)
        {
            yield return new Measurement<long>(bytes ? held.Bytes : held.Keys, new KeyValuePair<string, object?>("liaa.origin", held.Origin));
        }
    }

    /// <summary>
    /// The gauges of one meter, created once whatever the number of instances on it: each observes every instance
    /// not yet disposed (one node per process in a deployment; several in a test or an embedding application, whose
    /// same-tagged values are one series, as the instruments they share are).
    /// </summary>
    private sealed class NodeGauges
    {
        private readonly Lock _gate = new();
        private readonly HashSet<NodeMetrics> _live = [];

        public NodeGauges(Meter meter)
        {
            meter.CreateObservableGauge("liaa.routing.contacts", () => Each(s => s.RoutingTableSize), "{contact}", "Contacts in the routing table.");
            meter.CreateObservableGauge("liaa.routing.replacement_cache.size", () => Each(s => s.ReplacementCacheSize), "{contact}", "Contacts waiting in replacement caches.");
            meter.CreateObservableGauge("liaa.routing.bucket.fill", () => All(m => m.ObserveBucketFill()), "1", "Fill of each k-bucket (contacts / k), by bucket index.");
            meter.CreateObservableGauge("liaa.storage.keys", () => All(m => m.ObserveStorage(false)), "{key}", "Stored keys, by origin (own, replicated, cached).");
            meter.CreateObservableGauge("liaa.storage.bytes", () => All(m => m.ObserveStorage(true)), "By", "Bytes of stored values, by origin.");
            meter.CreateObservableGauge("liaa.storage.limit.keys", () => All(m => m.ObserveLimit(s => s.MaxKeys)), "{key}", "Most keys this node stores (Liaa:Storage:MaxKeys).");
            meter.CreateObservableGauge("liaa.storage.limit.bytes", () => All(m => m.ObserveLimit(s => s.MaxTotalBytes)), "By", "Most value bytes this node stores (Liaa:Storage:MaxTotalBytes).");
        }

        public void Add(NodeMetrics metrics)
        {
            lock (_gate)
            {
                _live.Add(metrics);
            }
        }

        public void Remove(NodeMetrics metrics)
        {
            lock (_gate)
            {
                _live.Remove(metrics);
            }
        }

        private NodeMetrics[] Live()
        {
            lock (_gate)
            {
                return [.. _live];
            }
        }

        // One measurement per instance observing a node: one made but not yet observing has nothing to tell (a 0 of
        // its own would stand beside, or replace, a node's value in the series they share).
        private IEnumerable<Measurement<int>> Each(Func<INodeStateSource, int> read)
        {
            foreach (var metrics in Live())
            {
                if (metrics._state is { } state)
                {
                    yield return new Measurement<int>(read(state));
                }
            }
        }

        private IEnumerable<Measurement<T>> All<T>(Func<NodeMetrics, IEnumerable<Measurement<T>>> observe)
            where T : struct
        {
            foreach (var metrics in Live())
            {
                foreach (var measurement in observe(metrics))
                {
                    yield return measurement;
                }
            }
        }
    }
}

/// <summary>What the gauges read from a node at collection time.</summary>
public interface INodeStateSource
{
    int RoutingTableSize { get; }

    int ReplacementCacheSize { get; }

    /// <summary>Contacts / k for each bucket, by bucket index (0 = the bucket covering the most distant half).</summary>
    IReadOnlyList<double> GetBucketFill();

    StorageGauges GetStorage();
}

/// <summary>Keys and bytes held for one origin, named as the <c>liaa.origin</c> tag (own, replicated, cached).</summary>
public readonly record struct OriginGauge(string Origin, long Keys, long Bytes);

/// <summary>What the storage gauges read: the limits and what is held, by origin.</summary>
public sealed record StorageGauges(long MaxKeys, long MaxTotalBytes, IReadOnlyList<OriginGauge> Origins);

using System.Collections.Concurrent;
using System.Diagnostics;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Bench;

/// <summary>
/// <c>bench cluster --profile</c>: where the time of a put goes, read from the spans the client node
/// records anyway (the put span, its FIND_NODE lookup span and the RPC spans beneath both). For each
/// put: the lookup's wall time, its round trips one after another (lookup time over the median FIND_NODE
/// round trip), the STORE phase (put end minus lookup end) and the slowest and median STORE round trip.
/// </summary>
/// <remarks>
/// Listening to every span costs time itself (see <c>bench rpc --tracing</c>), so a profiled run is slower
/// than a plain one: read the shares, not the absolute figures. Only the puts run while the listener is
/// attached are profiled.
/// </remarks>
internal sealed class PutProfile : IDisposable
{
    private const string RpcFindNode = "kademlia/FIND_NODE";
    private const string RpcStore = "kademlia/STORE";

    private readonly ConcurrentDictionary<ActivityTraceId, Trace> _open = new();
    private readonly ConcurrentQueue<Trace> _done = new();
    private readonly ActivityListener _listener;

    public PutProfile()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public int Count => _done.Count;

    public void Dispose() => _listener.Dispose();

    /// <summary>Lines describing the profiled puts: medians and 99th percentiles of each part.</summary>
    public IReadOnlyList<string> Describe()
    {
        var traces = _done.ToArray();
        if (traces.Length == 0)
        {
            return ["profile: no put was traced"];
        }

        LatencySample total = new(), lookup = new(), storePhase = new(), slowestStore = new(), medianStore = new(), findNode = new(), waves = new(), rounds = new(), contacted = new();
        foreach (var trace in traces)
        {
            total.Add(trace.Put);
            lookup.Add(trace.Lookup);
            storePhase.Add(trace.Put - trace.LookupEnd);
            if (trace.Stores.Count > 0)
            {
                var stores = trace.Stores.Order().ToArray();
                slowestStore.Add(stores[^1]);
                medianStore.Add(stores[stores.Length / 2]);
            }

            if (trace.FindNodes.Count > 0)
            {
                var rpcs = trace.FindNodes.Order().ToArray();
                var rtt = rpcs[rpcs.Length / 2];
                findNode.Add(rtt);
                waves.AddMilliseconds(rtt > TimeSpan.Zero ? trace.Lookup / rtt : 0);
            }

            rounds.AddMilliseconds(trace.Rounds);
            contacted.AddMilliseconds(trace.Contacted);
        }

        static string Pair(LatencySample sample) => $"{sample.Percentile(50):F2} / {sample.Percentile(99):F2}";
        return
        [
            $"profile of {traces.Length} puts (p50 / p99; ms unless stated; tracing every span slows them):",
            $"  put total                          {Pair(total)}",
            $"  FIND_NODE lookup                   {Pair(lookup)}   ({lookup.Mean / total.Mean:P0} of the mean put)",
            $"  STORE phase (after the lookup)     {Pair(storePhase)}   ({storePhase.Mean / total.Mean:P0} of the mean put)",
            $"  slowest STORE of the put           {Pair(slowestStore)}",
            $"  median STORE of the put            {Pair(medianStore)}",
            $"  median FIND_NODE round trip        {Pair(findNode)}",
            $"  lookup / FIND_NODE round trip      {Pair(waves)} (round trips one after another)",
            $"  lookup hop depth, nodes contacted  {Pair(rounds)}, {Pair(contacted)} (counts)",
        ];
    }

    private void OnStopped(Activity activity)
    {
        var trace = _open.GetOrAdd(activity.TraceId, _ => new Trace());
        lock (trace)
        {
            switch (activity.OperationName)
            {
                case "put" when activity.Parent is null:
                    trace.Put = activity.Duration;
                    _open.TryRemove(activity.TraceId, out _);
                    if (trace.LookupEnd > TimeSpan.Zero)
                    {
                        _done.Enqueue(trace);
                    }

                    break;
                case "lookup FIND_NODE" when activity.Parent is { OperationName: "put" } put:
                    trace.Lookup = activity.Duration;
                    trace.LookupEnd = activity.StartTimeUtc + activity.Duration - put.StartTimeUtc;
                    trace.Rounds = activity.GetTagItem("liaa.lookup.rounds") is int r ? r : 0;
                    trace.Contacted = activity.GetTagItem("liaa.lookup.contacted") is int c ? c : 0;
                    break;
                case RpcFindNode when activity.Parent is { OperationName: "lookup FIND_NODE", Parent.OperationName: "put" }:
                    trace.FindNodes.Add(activity.Duration);
                    break;
                case RpcStore when activity.Parent is { OperationName: "put" }:
                    trace.Stores.Add(activity.Duration);
                    break;
                default:
                    if (activity.Parent is null)
                    {
                        _open.TryRemove(activity.TraceId, out _);
                    }

                    break;
            }
        }
    }

    private sealed class Trace
    {
        public TimeSpan Put { get; set; }

        public TimeSpan Lookup { get; set; }

        public TimeSpan LookupEnd { get; set; }

        public int Rounds { get; set; }

        public int Contacted { get; set; }

        public List<TimeSpan> FindNodes { get; } = [];

        public List<TimeSpan> Stores { get; } = [];
    }
}

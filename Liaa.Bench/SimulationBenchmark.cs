using System.Diagnostics;
using System.Runtime;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Node.Bench;

/// <summary>Parameters of <c>bench sim</c>.</summary>
internal sealed record SimulationBenchmarkOptions
{
    /// <summary>Sizes at or above this run once unless <see cref="Runs"/> says otherwise (one run is minutes).</summary>
    public const int LargeNetwork = 50_000;

    /// <summary>Network sizes to build, one after the other (a scaling table when more than one).</summary>
    public IReadOnlyList<int> NodeCounts { get; init; } = [10_000];

    /// <summary>Shares of nodes silenced (crashed), in percent, cumulative and in this order.</summary>
    public IReadOnlyList<int> ChurnPercents { get; init; } = [0, 10, 30];

    /// <summary>FIND_NODE lookups to random targets per churn level.</summary>
    public int Lookups { get; init; } = 200;

    /// <summary>Values put before any churn, then read back at each churn level.</summary>
    public int Keys { get; init; } = 100;

    /// <summary>Lookups or gets run at once.</summary>
    public int Parallelism { get; init; } = 16;

    /// <summary>Nodes joining at once while the network is built.</summary>
    public int JoinConcurrency { get; init; } = 32;

    /// <summary>Virtual time between two batches of joins: nodes arrive over time, not all at one instant.</summary>
    /// <value>Default 100 ms (320 nodes a second).</value>
    public TimeSpan JoinInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs per size (each a new network, seed + run); null: 3, or 1 from <see cref="LargeNetwork"/> nodes.</summary>
    public int? Runs { get; init; }

    /// <summary>Median RTT of the <see cref="PairLatency"/> model used after the build; zero: no delay at all.</summary>
    /// <value>Default 80 ms.</value>
    public TimeSpan MedianRoundTrip { get; init; } = TimeSpan.FromMilliseconds(80);

    /// <summary>σ of ln(RTT) of the latency model.</summary>
    /// <value>Default 0.6.</value>
    public double RoundTripSigma { get; init; } = 0.6;

    public int Seed { get; init; } = 1;

    /// <summary>
    /// Most threads the process's pool may run (0: one per core). Simulated nodes never block a thread, so more threads
    /// than cores only add context switches, spinning on contended locks and idle threads spinning for work.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>How long a full bucket's oldest contact counts as alive without a ping (<see cref="KademliaOptions.FullBucketPingAfter"/>).</summary>
    /// <value>Default 15 minutes, as BEP 5 (a real node's default is zero: always ping). In a growing network those pings
    /// grow faster than the rest: 53 a join at 20,000 nodes, 1 with the window, for the same quality.</value>
    public TimeSpan FullBucketPingAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Whether bucket refresh lookups end at convergence (<see cref="KademliaOptions.RefreshEndsAtConvergence"/>).</summary>
    /// <value>Default <see langword="true"/> (a real node's default is false): the refreshes were four fifths of a join's requests.</value>
    public bool RefreshEndsAtConvergence { get; init; } = true;

    /// <summary>
    /// Entries each simulated node keeps in its per-peer and per-call caches (<see cref="RpcOptions.KnownLiaaPeersCapacity"/>,
    /// <see cref="RpcOptions.AnsweredPeersCapacity"/>, <see cref="RpcOptions.CompletedCallMemory"/>,
    /// <see cref="RpcOptions.RecentRequestMemory"/>); a real node keeps thousands. They fill with every distinct peer a
    /// node talks to, which grows with the network: at 5,000 nodes they were 45 KB of a node's 124 KB. Forgetting
    /// sooner costs a simulated node nothing it is measured on (an extra ping before a large reply, a late response
    /// counted as unexpected, no replay check: no node here replays).
    /// </summary>
    /// <value>Default 64 entries each.</value>
    public int NodeCache { get; init; } = 64;

    /// <summary>
    /// Ids each simulated node remembers of its own completed calls and of requests it served
    /// (<see cref="RpcOptions.CompletedCallMemory"/>, <see cref="RpcOptions.RecentRequestMemory"/>), at most
    /// <see cref="NodeCache"/>. A simulated call is answered or times out in virtual seconds, and no node replays a
    /// request: a late answer is counted as unexpected instead of late, nothing else changes. At 64 they were 11 KB of
    /// a node's 63 KB at 5,000 nodes.
    /// </summary>
    /// <value>Default 16 (a real node: 4,096 and 16,384).</value>
    public int CallMemory { get; init; } = 16;

    /// <summary>Sources with a rate-limit bucket of their own at the seed, node 0 (<see cref="RpcOptions.MaxTrackedSources"/>).</summary>
    /// <remarks>
    /// Not as small as <see cref="NodeCache"/>: past it, new sources share one bucket until a sweep (once a virtual second)
    /// forgets the idle ones, and the seed sees 320 new joiners a virtual second while the network is built.
    /// </remarks>
    /// <value>Default 1,000 (a real node: 10,000).</value>
    public int TrackedSources { get; init; } = 1_000;

    /// <summary>A put returns once this many holders stored the value (<c>Liaa:Storage:PutAcknowledgements</c>); null: the node's default.</summary>
    public int? PutAcknowledgements { get; init; }

    /// <summary>A put's lookup ends at convergence (<c>Liaa:Storage:PutStoresAtConvergence</c>); null: the node's default.</summary>
    public bool? PutStoresAtConvergence { get; init; }

    /// <summary>
    /// Sources with a rate-limit bucket of their own at every other node. A node other than the seed hears from a few
    /// sources a virtual second (the joins' lookups spread over the whole network), and forgets a source idle for a
    /// few seconds (its bucket has refilled by then), so it seldom tracks many; at 1,000 they were 10 KB a node.
    /// </summary>
    /// <value>Default 64.</value>
    public int PeerTrackedSources { get; init; } = 64;

    /// <summary>Applies the cache sizes and put settings to a simulated node's options; the seed (node 0) tracks more sources.</summary>
    public void ConfigureNode(LiaaNodeOptions node, bool isSeed)
    {
        if (PutAcknowledgements is { } acks)
        {
            node.Storage.PutAcknowledgements = acks == 0 ? null : acks;
        }

        if (PutStoresAtConvergence is { } converge)
        {
            node.Storage.PutStoresAtConvergence = converge;
        }

        node.Kademlia.FullBucketPingAfter = FullBucketPingAfter;
        node.Kademlia.RefreshEndsAtConvergence = RefreshEndsAtConvergence;
        node.Rpc.KnownLiaaPeersCapacity = NodeCache;
        node.Rpc.AnsweredPeersCapacity = NodeCache;
        node.Rpc.CompletedCallMemory = Math.Min(NodeCache, CallMemory);
        node.Rpc.RecentRequestMemory = Math.Min(NodeCache, CallMemory);
        node.Rpc.MaxTrackedSources = isSeed ? TrackedSources : PeerTrackedSources;
    }

    /// <summary>Whether to sample the process's allocations by type and print the largest (<see cref="AllocationSampler"/>).</summary>
    public bool Allocations { get; init; }

    public int RunsFor(int nodes) => Runs ?? (nodes >= LargeNetwork ? 1 : 3);
}

/// <summary>
/// <c>bench sim</c>: the node code on <see cref="SimulatedNetwork"/> (in-memory datagrams, manual clock):
/// build N nodes through the real join, put values, then at each churn level run FIND_NODE lookups and
/// gets from random live nodes and report rounds, RPCs, latency on the virtual clock, the share of the true
/// k closest found, the gets that found their value, memory and wall time; over several runs, the median
/// and the spread of each figure.
/// </summary>
/// <remarks>
/// <para>
/// The build runs without network delay (a delay per datagram would make every message a step of the
/// clock, and a 100,000-node build hundreds of millions of steps); batches of joins arrive
/// <see cref="SimulationBenchmarkOptions.JoinInterval"/> apart on the virtual clock. From the puts on, every
/// datagram takes half its pair's RTT from <see cref="PairLatency"/> (log-normal, deterministic per pair).
/// </para>
/// <para>
/// Lookup figures come from the lookup spans (<see cref="LookupRecorder"/>); latencies are measured on the
/// virtual clock around each call. "Gone" nodes are silenced without warning, as crashed ones: the others
/// learn it only by timing out on them. The true k closest are computed over the nodes still running,
/// the origin excluded.
/// </para>
/// </remarks>
internal sealed class SimulationBenchmark
{
    // The longest the next run waits for the previous network to become unreachable before taking its heap baseline.
    private static readonly TimeSpan PreviousNetworkWait = TimeSpan.FromSeconds(30);

    private readonly SimulationBenchmarkOptions _options;
    private readonly BenchOutput _output;

    // The last run's network, disposed: the next run's heap baseline waits until it is unreachable.
    private WeakReference? _previousNetwork;

    public SimulationBenchmark(SimulationBenchmarkOptions options, BenchOutput output)
    {
        _options = options;
        _output = output;
    }

    public async Task<IReadOnlyList<SimulationRun>> RunAsync(CancellationToken cancellationToken)
    {
        var threads = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount;
        ThreadPool.GetMinThreads(out _, out var minIo);
        ThreadPool.GetMaxThreads(out _, out var maxIo);
        ThreadPool.SetMinThreads(Math.Min(threads, Environment.ProcessorCount), minIo);
        if (!ThreadPool.SetMaxThreads(threads, maxIo))
        {
            throw new InvalidOperationException($"The thread pool refused {threads} threads at most.");
        }

        _output.Line(MachineInfo.Describe());
        _output.Line(_options.MedianRoundTrip > TimeSpan.Zero
            ? $"latency after the build: RTT per pair log-normal, median {_options.MedianRoundTrip.TotalMilliseconds:F0} ms, sigma {_options.RoundTripSigma:F2} (deterministic per pair); build without delay, join batches of {_options.JoinConcurrency} {_options.JoinInterval.TotalMilliseconds:F0} ms apart (virtual)"
            : "latency: none (every datagram arrives at once)");
        _output.Line($"thread pool: at most {threads} threads (--threads); a full bucket's oldest contact pinged {(_options.FullBucketPingAfter > TimeSpan.Zero ? $"only if not heard from for {_options.FullBucketPingAfter.TotalSeconds:F0} s" : "every time")} (--full-bucket-ping-after); bucket refreshes end {(_options.RefreshEndsAtConvergence ? "at convergence" : "when the k closest answered")} (--refresh)");
        _output.Line($"garbage collector: {(GCSettings.IsServerGC ? "server" : "workstation")}, {(GCSettings.LatencyMode == GCLatencyMode.Batch ? "not concurrent" : "concurrent")}, "
            + $"{string.Join(", ", SimulationProcess.Settings.Select(s => s.Name).Append("DOTNET_gcServer").Append("DOTNET_GCHeapHardLimit").Distinct().Select(n => (Name: n, Value: Environment.GetEnvironmentVariable(n))).Where(v => v.Value is not null).Select(v => $"{v.Name}={v.Value}").DefaultIfEmpty("runtime defaults"))} ({SimulationProcess.Marker}=none: none set by the bench)");
        _output.Line($"per-node caches: {_options.NodeCache} entries each (known Liaa peers, answered peers; --node-cache), {Math.Min(_options.NodeCache, _options.CallMemory)} ids each (completed calls, recent requests), rate-limit buckets for {_options.PeerTrackedSources:N0} sources ({_options.TrackedSources:N0} at the seed); a real node: 10,000 / 10,000 / 4,096 / 16,384, 10,000");
        var runs = new List<SimulationRun>();
        using var recorder = new LookupRecorder();
        using var allocations = _options.Allocations ? new AllocationSampler() : null;
        foreach (var nodes in _options.NodeCounts)
        {
            var count = _options.RunsFor(nodes);
            var ofSize = new List<SimulationRun>();
            for (var run = 0; run < count; run++)
            {
                _output.Heading($"Simulation of {nodes:N0} nodes, run {run + 1} of {count} (seed {_options.Seed + run})");
                _output.Line($"start: {MachineInfo.Load()}");
                var result = await RunOneAsync(nodes, _options.Seed + run, recorder, cancellationToken).ConfigureAwait(false);
                _output.Line($"end: {MachineInfo.Load()}");
                ofSize.Add(result);
                SimulationReport.PrintRun(_output, result, _options.MedianRoundTrip);
                if (allocations is not null)
                {
                    _output.Line("allocated, by type (share of the runtime's allocation samples since the start): "
                        + string.Join(", ", allocations.Top(30).Select(t => $"{t.Type} {t.Share:P1}")));
                    _output.Line("exceptions thrown, by type and message: "
                        + string.Join("; ", allocations.TopExceptions(10).Select(t => $"{t.Exception} ×{t.Count:N0}").DefaultIfEmpty("none")));
                }

                // The next network starts from a clean heap, so its memory figure is its own. This continuation can run
                // inline on the stack of the last node's disposal, whose frames still reach that node and through its
                // clock's timers every other node: a collection from here kept the whole network, and the next run's
                // heap came out smaller than its baseline (a negative "GC heap" for runs 2 and 3). Leave that stack first.
                await Task.Yield();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }

            if (ofSize.Count > 1)
            {
                SimulationReport.PrintSummary(_output, ofSize, _options.MedianRoundTrip);
            }

            runs.AddRange(ofSize);
        }

        if (_options.NodeCounts.Count > 1)
        {
            SimulationReport.PrintScaling(_output, runs);
        }

        return runs;
    }

    private async Task<SimulationRun> RunOneAsync(int nodeCount, int seed, LookupRecorder recorder, CancellationToken cancellationToken)
    {
        if (!await ForgetPreviousNetworkAsync(cancellationToken).ConfigureAwait(false))
        {
            _output.Line($"note: the previous run's network was still reachable {PreviousNetworkWait.TotalSeconds:F0} s after it was disposed; this run's GC heap figure is low by its size");
        }

        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var pausedBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var started = TimeProvider.System.GetTimestamp();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var configured = 0;
        var options = new SimulationOptions
        {
            NodeCount = 1,
            Seed = seed,
            JoinConcurrency = _options.JoinConcurrency,
            OwnsThreadPool = true,
            ShareMetrics = true,
            // The seed is the first node started.
            ConfigureNode = node => _options.ConfigureNode(node, isSeed: Interlocked.Increment(ref configured) == 1),
        };
        var sim = await SimulatedNetwork.CreateAsync(options, cancellationToken).ConfigureAwait(false);
        _previousNetwork = new WeakReference(sim);
        await using (sim.ConfigureAwait(false))
        {
            var buildRequests = new RequestMix();
            sim.Network.Tap = buildRequests.Count;
            await _output.StepAsync($"joining {nodeCount:N0} nodes", async progress =>
            {
                var remaining = nodeCount - 1;
                while (remaining > 0)
                {
                    var batch = Math.Min(remaining, _options.JoinConcurrency);
                    var joins = new Task<JoinResult>[batch];
                    for (var i = 0; i < batch; i++)
                    {
                        joins[i] = JoinNewAsync(sim, cancellationToken);
                    }

                    await sim.RunAsync(Task.WhenAll(joins), cancellationToken).ConfigureAwait(false);
                    if (_options.JoinInterval > TimeSpan.Zero)
                    {
                        await sim.AdvanceAsync(_options.JoinInterval, cancellationToken).ConfigureAwait(false);
                    }

                    remaining -= batch;
                    progress.Report((double)(nodeCount - remaining) / nodeCount, $"{nodeCount - remaining:N0} joined, {TimeProvider.System.GetElapsedTime(started).TotalSeconds:F0} s");
                }
            }).ConfigureAwait(false);
            var joinTime = TimeProvider.System.GetElapsedTime(started);
            var heapAfterJoin = GC.GetTotalMemory(forceFullCollection: true);
            var workingSet = Process.GetCurrentProcess().WorkingSet64;
            var contacts = sim.Nodes.Select(n => n.GetContacts().Count).ToArray();
            sim.Network.Tap = null;
            var build = BuildCounters.Of(sim, contacts, sim.Nodes[0].Options.Kademlia.K) with { Requests = buildRequests };
            if (_options.MedianRoundTrip > TimeSpan.Zero)
            {
                sim.Network.Options = sim.Network.Options with { PathDelay = new PairLatency(seed, _options.MedianRoundTrip, _options.RoundTripSigma) };
            }

            var random = new Random(seed + 7);
            var keys = Enumerable.Range(0, _options.Keys).Select(i => $"bench-sim-{i}").ToArray();
            var putLatency = new LatencySample();
            var putRequests = new PutRequestCounter();
            var sentBeforePuts = sim.Network.Counters.Sent;
            var cpuBeforePuts = Process.GetCurrentProcess().TotalProcessorTime;
            sim.Network.Tap = putRequests.Count;
            await _output.StepAsync($"putting {keys.Length} values", async progress =>
            {
                var done = 0;
                foreach (var chunk in keys.Chunk(_options.Parallelism))
                {
                    var puts = chunk.Select(key => TimedAsync(sim.Time, () => sim.Nodes[random.Next(sim.Nodes.Count)].PutAsync(key, DhtValue.FromString(ValueOf(key)), cancellationToken))).ToArray();
                    foreach (var (_, elapsed) in await sim.RunAsync(Task.WhenAll(puts), cancellationToken).ConfigureAwait(false))
                    {
                        putLatency.Add(elapsed);
                    }

                    done += chunk.Length;
                    progress.Report((double)done / keys.Length);
                }
            }).ConfigureAwait(false);

            // The STOREs a put returned before (a quorum) end within an RPC timeout: let them, then count where each value is.
            await sim.AdvanceAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            var putCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBeforePuts;
            sim.Network.Tap = null;
            var puts = PutCounts.Of(sim, keys, sim.Network.Counters.Sent - sentBeforePuts, putRequests) with { CpuPerPut = putCpu / Math.Max(1, keys.Length) };

            var levels = new List<ChurnLevel>();
            var gone = 0;
            foreach (var percent in _options.ChurnPercents)
            {
                gone = Silence(sim, percent, gone, random);
                var level = await MeasureAsync(sim, percent, keys, recorder, random, cancellationToken).ConfigureAwait(false);
                levels.Add(level);
            }

            var wall = TimeProvider.System.GetElapsedTime(started);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            return new SimulationRun(
                nodeCount, seed, joinTime, wall, cpu, heapAfterJoin - heapBefore, workingSet,
                contacts.Average(), contacts.Min(), build, putLatency, levels) { ForcedSteps = sim.ForcedSteps, Puts = puts, Runtime = RuntimeFigures(collectionsBefore, pausedBefore, GC.GetTotalAllocatedBytes() - allocatedBefore, wall) };
        }
    }

    /// <summary>
    /// Waits (collecting) until the previous run's network is unreachable, at most <see cref="PreviousNetworkWait"/>; false
    /// when it still is. Its nodes' last continuations (cancelled timers and calls, on a pool of two threads) can still be
    /// queued when it is disposed, and a heap baseline taken before they ran counted the whole previous network: later runs
    /// of one size then printed a negative GC heap (−11 MB at 1,000 nodes, −65 MB at 10,000).
    /// </summary>
    private async Task<bool> ForgetPreviousNetworkAsync(CancellationToken cancellationToken)
    {
        if (_previousNetwork is not { } previous)
        {
            return true;
        }

        _previousNetwork = null;
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            if (!previous.IsAlive)
            {
                return true;
            }

            if (TimeProvider.System.GetElapsedTime(started) > PreviousNetworkWait)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    private static string RuntimeFigures(int[] collectionsBefore, TimeSpan pausedBefore, long allocated, TimeSpan wall)
    {
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return $"GCs gen0/1/2 {GC.CollectionCount(0) - collectionsBefore[0]:N0}/{GC.CollectionCount(1) - collectionsBefore[1]:N0}/{GC.CollectionCount(2) - collectionsBefore[2]:N0}, "
            + $"paused {paused.TotalSeconds:F1} s ({paused / wall:P0} of the wall time), {(GCSettings.IsServerGC ? "server" : "workstation")} GC, "
            + $"allocated {allocated / 1048576.0:N0} MB, committed {info.TotalCommittedBytes / 1048576.0:N0} MB, pool threads {ThreadPool.ThreadCount}";
    }

    private static async Task<JoinResult> JoinNewAsync(SimulatedNetwork sim, CancellationToken cancellationToken)
    {
        var node = await sim.AddNodeAsync(join: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await node.BootstrapAsync([sim.Nodes[0].EndPoint], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="call"/> and measures it on the virtual clock (which stands still while any node code runs).</summary>
    private static async Task<(T Result, TimeSpan Elapsed)> TimedAsync<T>(TimeProvider time, Func<Task<T>> call)
    {
        var start = time.GetUtcNow();
        var result = await call().ConfigureAwait(false);
        return (result, time.GetUtcNow() - start);
    }

    /// <summary>Silences random running nodes (never node 0, the seed) until <paramref name="percent"/> of all are gone.</summary>
    private static int Silence(SimulatedNetwork sim, int percent, int alreadyGone, Random random)
    {
        var target = (int)Math.Round(sim.Nodes.Count * percent / 100.0);
        var gone = alreadyGone;
        while (gone < target)
        {
            var node = sim.Nodes[1 + random.Next(sim.Nodes.Count - 1)];
            if (sim.IsRunning(node))
            {
                sim.Silence(node);
                gone++;
            }
        }

        return gone;
    }

    private async Task<ChurnLevel> MeasureAsync(SimulatedNetwork sim, int percent, string[] keys, LookupRecorder recorder, Random random, CancellationToken cancellationToken)
    {
        var running = sim.Nodes.Where(sim.IsRunning).ToArray();
        var runningIds = running.Select(n => n.Id).ToArray();
        var k = running[0].Options.Kademlia.K;
        var virtualStart = sim.Time.GetUtcNow();
        var started = TimeProvider.System.GetTimestamp();
        int found = 0, expected = 0;
        var lookupLatency = new LatencySample();
        var getLatency = new LatencySample();
        var localGets = 0;

        // Only the lookups asked for here count: maintenance (or anything else sharing the process) runs its own.
        var keyTargets = new HashSet<string>(keys.Select(key => NodeId.FromKey(key).ToString()));
        var nodeTargets = new HashSet<string>();
        recorder.Drain();
        recorder.IsRecording = true;
        List<LookupRecord> findNodes;
        List<LookupRecord> gets;
        int getsFound;
        try
        {
            await _output.StepAsync($"{percent} % gone: {_options.Lookups} FIND_NODE lookups", async progress =>
            {
                var done = 0;
                while (done < _options.Lookups)
                {
                    var batch = Math.Min(_options.Parallelism, _options.Lookups - done);
                    var origins = new LiaaNode[batch];
                    var targets = new NodeId[batch];
                    var lookups = new Task<(IReadOnlyList<Contact> Result, TimeSpan Elapsed)>[batch];
                    for (var i = 0; i < batch; i++)
                    {
                        var origin = origins[i] = running[random.Next(running.Length)];
                        var target = targets[i] = NodeId.Random(random);
                        nodeTargets.Add(target.ToString());
                        lookups[i] = TimedAsync(sim.Time, () => origin.FindClosestNodesAsync(target, cancellationToken));
                    }

                    var results = await sim.RunAsync(Task.WhenAll(lookups), cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < batch; i++)
                    {
                        var truth = TrueClosest(runningIds, origins[i].Id, targets[i], k);
                        found += results[i].Result.Count(c => truth.Contains(c.Id));
                        expected += truth.Count;
                        lookupLatency.Add(results[i].Elapsed);
                    }

                    done += batch;
                    progress.Report((double)done / _options.Lookups);
                }
            }).ConfigureAwait(false);
            findNodes = recorder.Drain();

            getsFound = await _output.StepAsync($"{percent} % gone: {keys.Length} gets", async progress =>
            {
                var hits = 0;
                var done = 0;
                foreach (var chunk in keys.Chunk(_options.Parallelism))
                {
                    var readers = chunk.Select(_ => running[random.Next(running.Length)]).ToArray();
                    var tapped = new GetDatagrams(chunk, [.. readers.Select(r => r.EndPoint)]);
                    sim.Network.Tap = tapped.Record;
                    var reads = chunk.Select((key, i) => TimedAsync(sim.Time, () => readers[i].GetAsync(key, cancellationToken))).ToArray();
                    var results = await sim.RunAsync(Task.WhenAll(reads), cancellationToken).ConfigureAwait(false);
                    sim.Network.Tap = null;
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        var (result, elapsed) = results[i];
                        getLatency.Add(elapsed);
                        localGets += result.IsLocal ? 1 : 0;
                        if (result.Value is { } value && value.AsString() == ValueOf(chunk[i]))
                        {
                            hits++;
                        }
                        else
                        {
                            DiagnoseMissedGet(sim, runningIds, k, readers[i], chunk[i], result, tapped.Of(i));
                        }
                    }

                    done += chunk.Length;
                    progress.Report((double)done / keys.Length);
                }

                return hits;
            }).ConfigureAwait(false);
            gets = recorder.Drain();
        }
        finally
        {
            recorder.IsRecording = false;
        }

        return new ChurnLevel(
            percent,
            running.Length,
            findNodes.Where(r => r.Name == "lookup FIND_NODE" && r.Target is { } t && nodeTargets.Contains(t)).ToList(),
            gets.Where(r => r.Name == "lookup FIND_VALUE" && r.Target is { } t && keyTargets.Contains(t)).ToList(),
            expected == 0 ? double.NaN : (double)found / expected,
            keys.Length,
            getsFound,
            localGets,
            lookupLatency,
            getLatency,
            TimeProvider.System.GetElapsedTime(started),
            sim.Time.GetUtcNow() - virtualStart);
    }

    /// <summary>
    /// Prints to standard error what a get that missed did: the running nodes holding the value (by rank among the true
    /// k closest, "-" beyond them), and every datagram its origin sent or received that carried the key or the value
    /// (FIND_VALUE requests, an answer with the value, the cache STORE), with the peer's rank and whether it holds the value.
    /// </summary>
    private static void DiagnoseMissedGet(SimulatedNetwork sim, NodeId[] runningIds, int k, LiaaNode origin, string key, GetResult result,
        IEnumerable<GetDatagram> tapped)
    {
        var id = NodeId.FromKey(key);
        var byEndPoint = sim.Nodes.ToDictionary(n => n.EndPoint);
        var truth = Closest(runningIds, id, k, origin.Id);
        var rank = truth.Select((n, r) => (n, r)).ToDictionary(x => x.n, x => x.r);
        var holders = sim.Nodes.Where(n => sim.IsRunning(n) && n.GetStoredValue(id) is not null).ToList();
        var log = new System.Text.StringBuilder();
        log.AppendLine($"MISSED GET key {key} ({id.ToShortString()}) from {origin.EndPoint} ({origin.Id.ToShortString()}): value {(result.Value is null ? "none" : result.Value.AsString())}, local {result.IsLocal}, rounds {result.Rounds}, contacted {result.NodesContacted}");
        log.AppendLine($"  true k closest holding: {truth.Count(n => holders.Any(h => h.Id == n))}/{truth.Length}; running holders {holders.Count}: " + string.Join(" ", holders.Select(h => $"{h.Id.ToShortString()}@{(rank.TryGetValue(h.Id, out var r) ? r.ToString() : "-")}")));
        foreach (var (_, from, to, length, hasKey, hasValue) in tapped)
        {
            var peer = from.Equals(origin.EndPoint) ? to : from;
            var peerNode = byEndPoint.GetValueOrDefault(peer);
            var peerRank = peerNode is not null && rank.TryGetValue(peerNode.Id, out var pr) ? pr.ToString() : "-";
            var peerHolds = peerNode?.GetStoredValue(id) is not null;
            log.AppendLine($"  {(from.Equals(origin.EndPoint) ? "->" : "<-")} {from}->{to} len {length} key {hasKey} value {hasValue} peer {peerNode?.Id.ToShortString()} rank {peerRank} holds {peerHolds} running {(peerNode is null ? "?" : sim.IsRunning(peerNode).ToString())}");
        }

        Console.Error.Write(log.ToString());
    }

    /// <summary>The value the bench puts under <paramref name="key"/>, and a get of it must find.</summary>
    internal static string ValueOf(string key) => "v:" + key;

    private static HashSet<NodeId> TrueClosest(NodeId[] running, NodeId origin, NodeId target, int k) =>
        [.. Closest(running, target, k, origin)];

    /// <summary>
    /// The <paramref name="k"/> ids of <paramref name="ids"/> nearest to <paramref name="target"/> (without
    /// <paramref name="excluded"/>), nearest first: one pass keeping the k best, instead of sorting every id (at
    /// 100,000 nodes a sort per lookup allocated 4 MB of large-object heap, which the collector pays for in full collections).
    /// </summary>
    internal static NodeId[] Closest(IReadOnlyList<NodeId> ids, NodeId target, int k, NodeId? excluded = null)
    {
        var best = new (NodeId Distance, NodeId Id)[Math.Min(k, ids.Count)];
        var count = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            if (id == excluded)
            {
                continue;
            }

            var distance = id ^ target;
            if (count == best.Length && (count == 0 || distance >= best[count - 1].Distance))
            {
                continue;
            }

            var at = count < best.Length ? count++ : count - 1;
            while (at > 0 && best[at - 1].Distance > distance)
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = (distance, id);
        }

        return [.. best.Take(count).Select(b => b.Id)];
    }
}

/// <summary>What the build left behind: empty tables, and the timeouts and drops it took.</summary>
internal sealed record BuildCounters(int EmptyTables, int BelowK, long Timeouts, long RateLimited, long Overloaded, long OtherDrops, InMemoryNetworkCounters Network)
{
    /// <summary>The requests sent while the network was built, by RPC.</summary>
    public RequestMix? Requests { get; init; }

    public static BuildCounters Of(SimulatedNetwork sim, int[] contacts, int k)
    {
        long timeouts = 0, rateLimited = 0, overloaded = 0, other = 0;
        foreach (var node in sim.Nodes)
        {
            var counters = node.RpcCounters.Snapshot();
            timeouts += counters.Timeouts;
            foreach (var (reason, count) in counters.Drops)
            {
                switch (reason)
                {
                    case DropReason.RateLimited or DropReason.StoreRateLimited:
                        rateLimited += count;
                        break;
                    case DropReason.Overloaded:
                        overloaded += count;
                        break;
                    default:
                        other += count;
                        break;
                }
            }
        }

        return new BuildCounters(contacts.Count(c => c == 0), contacts.Count(c => c < k), timeouts, rateLimited, overloaded, other, sim.Network.Counters);
    }
}

/// <summary>One network's results.</summary>
internal sealed record SimulationRun(
    int Nodes,
    int Seed,
    TimeSpan JoinTime,
    TimeSpan WallTime,
    TimeSpan CpuTime,
    long HeapBytes,
    long WorkingSetBytes,
    double MeanContacts,
    int MinContacts,
    BuildCounters Build,
    LatencySample PutLatency,
    IReadOnlyList<ChurnLevel> Levels)
{
    /// <summary>Clock steps taken while a pool thread was still busy (see <see cref="SimulatedNetwork.ForcedSteps"/>).</summary>
    public long ForcedSteps { get; init; }

    /// <summary>What the puts sent and where their values ended up.</summary>
    public PutCounts? Puts { get; init; }

    /// <summary>The garbage collector's work and the thread pool's size over the run (where a large run's time goes).</summary>
    public string? Runtime { get; init; }
}

/// <summary>Requests seen on the network, by RPC name (responses, which carry no name, are not counted).</summary>
internal sealed class RequestMix
{
    private static readonly (string Name, byte[] Pattern)[] Methods =
    [
        ("find_node", [0xa9, .. "find_node"u8]),
        ("find_value", [0xaa, .. "find_value"u8]),
        ("ping", [0xa4, .. "ping"u8]),
        ("store", [0xa5, .. "store"u8]),
        ("stun", [0xa4, .. "stun"u8]),
    ];

    private readonly long[] _counts = new long[Methods.Length + 1];

    public void Count(System.Net.IPEndPoint from, System.Net.IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty || datagram[0] == 0x01)
        {
            return;
        }

        var header = datagram[..Math.Min(datagram.Length, 96)];
        for (var i = 0; i < Methods.Length; i++)
        {
            if (header.IndexOf(Methods[i].Pattern) >= 0)
            {
                Interlocked.Increment(ref _counts[i]);
                return;
            }
        }

        Interlocked.Increment(ref _counts[Methods.Length]);
    }

    /// <summary>"find_node 123, ping 45, …" per <paramref name="per"/> (e.g. per node joined).</summary>
    public string Describe(double per) =>
        string.Join(", ", Methods.Select(m => m.Name).Append("other")
            .Select((name, i) => (Name: name, Count: Interlocked.Read(ref _counts[i])))
            .Where(m => m.Count > 0)
            .Select(m => $"{m.Name} {m.Count / per:F1}"));
}

/// <summary>
/// What <c>bench sim</c>'s missed-get diagnostic needs of a batch of gets' datagrams: of each that a get's origin sent
/// or received carrying its key or value (its FIND_VALUE requests, an answer with the value, its cache STORE), the
/// get, the two ends, the length and which of the two it carried. No datagram's bytes, and nothing of the others: the
/// diagnostic prints only these.
/// </summary>
internal sealed class GetDatagrams
{
    private readonly byte[][] _keys;
    private readonly byte[][] _values;
    private readonly Dictionary<System.Net.IPEndPoint, int[]> _getsByOrigin;
    private readonly System.Collections.Concurrent.ConcurrentQueue<GetDatagram> _carried = new();

    /// <param name="keys">The batch's keys, in order: a get is named by its index; its value is <see cref="SimulationBenchmark.ValueOf"/>.</param>
    /// <param name="origins">The node each get runs on, in the same order.</param>
    public GetDatagrams(IReadOnlyList<string> keys, IReadOnlyList<System.Net.IPEndPoint> origins)
    {
        _keys = [.. keys.Select(key => NodeId.FromKey(key).ToByteArray())];
        _values = [.. keys.Select(key => System.Text.Encoding.UTF8.GetBytes(SimulationBenchmark.ValueOf(key)))];
        _getsByOrigin = Enumerable.Range(0, keys.Count).GroupBy(get => origins[get]).ToDictionary(g => g.Key, g => g.ToArray());
    }

    /// <summary>An <see cref="InMemoryDatagramTap"/>: notes the datagram once for each get from either end whose key or value it carries.</summary>
    public void Record(System.Net.IPEndPoint from, System.Net.IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        if (_getsByOrigin.TryGetValue(from, out var gets))
        {
            Record(gets, from, to, datagram);
        }

        if (_getsByOrigin.TryGetValue(to, out gets) && !to.Equals(from))
        {
            Record(gets, from, to, datagram);
        }
    }

    /// <summary>The datagrams its origin sent or received carrying get <paramref name="get"/>'s key or value, in the order they were sent.</summary>
    public IEnumerable<GetDatagram> Of(int get) => _carried.Where(d => d.Get == get);

    private void Record(int[] gets, System.Net.IPEndPoint from, System.Net.IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        foreach (var get in gets)
        {
            var hasKey = datagram.IndexOf(_keys[get]) >= 0;
            var hasValue = datagram.IndexOf(_values[get]) >= 0;
            if (hasKey || hasValue)
            {
                _carried.Enqueue(new GetDatagram(get, from, to, datagram.Length, hasKey, hasValue));
            }
        }
    }
}

/// <summary>A datagram that carried a get's key or value (<see cref="GetDatagrams"/>).</summary>
internal readonly record struct GetDatagram(int Get, System.Net.IPEndPoint From, System.Net.IPEndPoint To, int Length, bool HasKey, bool HasValue);

/// <summary>Counts the requests sent while the puts run, by method (the method name is in every request datagram).</summary>
internal sealed class PutRequestCounter
{
    private static readonly byte[] FindNode = [0xa9, .. "find_node"u8];
    private static readonly byte[] Store = [0xa5, .. "store"u8];
    private long _findNodes;
    private long _stores;

    public long FindNodes => Interlocked.Read(ref _findNodes);

    public long Stores => Interlocked.Read(ref _stores);

    public void Count(System.Net.IPEndPoint from, System.Net.IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        if (datagram.IndexOf(FindNode) >= 0)
        {
            Interlocked.Increment(ref _findNodes);
        }
        else if (datagram.IndexOf(Store) >= 0)
        {
            Interlocked.Increment(ref _stores);
        }
    }
}

/// <summary>
/// Per put: datagrams (every node's, maintenance included, while the puts ran), FIND_NODE and STORE requests; and
/// how many of each key's true k closest nodes hold its value once the puts' STOREs have all ended.
/// </summary>
internal sealed record PutCounts(double DatagramsPerPut, double FindNodesPerPut, double StoresPerPut, double TrueClosestHolding, double HoldersPerKey)
{
    /// <summary>CPU time of the whole process (every simulated node, both sides of each RPC, and the simulator) per put.</summary>
    public TimeSpan CpuPerPut { get; init; }

    public static PutCounts Of(SimulatedNetwork sim, string[] keys, long datagrams, PutRequestCounter requests)
    {
        var k = sim.Nodes[0].Options.Kademlia.K;
        var ids = sim.Nodes.Select(n => n.Id).ToArray();
        var byId = sim.Nodes.ToDictionary(n => n.Id);
        var holders = new Dictionary<NodeId, int>();
        long holding = 0;
        foreach (var key in keys.Select(NodeId.FromKey))
        {
            var closest = SimulationBenchmark.Closest(ids, key, k);
            holding += closest.Count(id => byId[id].GetStoredValue(key) is not null);
            holders[key] = sim.Nodes.Count(n => n.GetStoredValue(key) is not null);
        }

        var count = Math.Max(1, keys.Length);
        return new PutCounts(
            (double)datagrams / count, (double)requests.FindNodes / count, (double)requests.Stores / count,
            (double)holding / (count * Math.Min(k, ids.Length)), holders.Values.Average());
    }
}

/// <summary>One churn level's results.</summary>
internal sealed record ChurnLevel(
    int Percent,
    int Running,
    IReadOnlyList<LookupRecord> FindNodes,
    IReadOnlyList<LookupRecord> GetLookups,
    double TrueClosestShare,
    int Gets,
    int GetsFound,
    int LocalGets,
    LatencySample LookupLatency,
    LatencySample GetLatency,
    TimeSpan WallTime,
    TimeSpan VirtualTime);

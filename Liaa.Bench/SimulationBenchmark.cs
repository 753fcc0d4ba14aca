using System.Diagnostics;
using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Wire;

namespace Liaa.Node.Bench;

/// <summary>Parameters of <c>bench sim</c>.</summary>
internal sealed record SimulationBenchmarkOptions
{
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

    public int Seed { get; init; } = 1;
}

/// <summary>
/// <c>bench sim</c>: the node code on <see cref="SimulatedNetwork"/> (in-memory datagrams, manual clock):
/// build N nodes through the real join, put values, then at each churn level run FIND_NODE lookups and
/// gets from random live nodes and report rounds, RPCs, the share of the true k closest found, the
/// gets that found their value, memory and wall time.
/// </summary>
/// <remarks>
/// Lookup figures come from the lookup spans (<see cref="LookupRecorder"/>). "Gone" nodes are silenced
/// without warning, as crashed ones: the others learn it only by timing out on them, on the virtual clock.
/// The true k closest are computed over the nodes still running, the origin excluded.
/// </remarks>
internal sealed class SimulationBenchmark
{
    private readonly SimulationBenchmarkOptions _options;
    private readonly BenchOutput _output;

    public SimulationBenchmark(SimulationBenchmarkOptions options, BenchOutput output)
    {
        _options = options;
        _output = output;
    }

    public async Task<IReadOnlyList<SimulationRun>> RunAsync(CancellationToken cancellationToken)
    {
        var runs = new List<SimulationRun>();
        using var recorder = new LookupRecorder();
        foreach (var nodes in _options.NodeCounts)
        {
            _output.Heading($"Simulation of {nodes:N0} nodes");
            var run = await RunOneAsync(nodes, recorder, cancellationToken).ConfigureAwait(false);
            runs.Add(run);
            PrintRun(run);

            // The next size starts from a clean heap, so its memory figure is its own.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        if (runs.Count > 1)
        {
            PrintScaling(runs);
        }

        return runs;
    }

    private async Task<SimulationRun> RunOneAsync(int nodeCount, LookupRecorder recorder, CancellationToken cancellationToken)
    {
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var started = TimeProvider.System.GetTimestamp();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var options = new SimulationOptions
        {
            NodeCount = 1,
            Seed = _options.Seed,
            JoinConcurrency = _options.JoinConcurrency,
        };
        var sim = await SimulatedNetwork.CreateAsync(options, cancellationToken).ConfigureAwait(false);
        await using (sim.ConfigureAwait(false))
        {
            await _output.StepAsync($"joining {nodeCount:N0} nodes", async progress =>
            {
                var remaining = nodeCount - 1;
                while (remaining > 0)
                {
                    var batch = Math.Min(remaining, _options.JoinConcurrency);
                    var joins = new Task<LiaaNode>[batch];
                    for (var i = 0; i < batch; i++)
                    {
                        joins[i] = sim.AddNodeAsync(join: true, cancellationToken: cancellationToken);
                    }

                    await sim.RunAsync(Task.WhenAll(joins), cancellationToken).ConfigureAwait(false);
                    remaining -= batch;
                    progress.Report((double)(nodeCount - remaining) / nodeCount, $"{nodeCount - remaining:N0} joined, {TimeProvider.System.GetElapsedTime(started).TotalSeconds:F0} s");
                }
            }).ConfigureAwait(false);
            var joinTime = TimeProvider.System.GetElapsedTime(started);
            var heapAfterJoin = GC.GetTotalMemory(forceFullCollection: true);
            var workingSet = Process.GetCurrentProcess().WorkingSet64;
            var contacts = sim.Nodes.Select(n => n.GetContacts().Count).ToArray();
            var random = new Random(_options.Seed + 7);

            var keys = Enumerable.Range(0, _options.Keys).Select(i => $"bench-sim-{i}").ToArray();
            await _output.StepAsync($"putting {keys.Length} values", async progress =>
            {
                var done = 0;
                foreach (var chunk in keys.Chunk(_options.Parallelism))
                {
                    var puts = chunk.Select(key => sim.Nodes[random.Next(sim.Nodes.Count)].PutAsync(key, DhtValue.FromString("v:" + key), cancellationToken)).ToArray();
                    await sim.RunAsync(Task.WhenAll(puts), cancellationToken).ConfigureAwait(false);
                    done += chunk.Length;
                    progress.Report((double)done / keys.Length);
                }
            }).ConfigureAwait(false);

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
                nodeCount, joinTime, wall, cpu, heapAfterJoin - heapBefore, workingSet,
                contacts.Average(), contacts.Min(), levels);
        }
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
                    var lookups = new Task<IReadOnlyList<Contact>>[batch];
                    for (var i = 0; i < batch; i++)
                    {
                        origins[i] = running[random.Next(running.Length)];
                        targets[i] = NodeId.Random(random);
                        nodeTargets.Add(targets[i].ToString());
                        lookups[i] = origins[i].FindClosestNodesAsync(targets[i], cancellationToken);
                    }

                    var results = await sim.RunAsync(Task.WhenAll(lookups), cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < batch; i++)
                    {
                        var origin = origins[i].Id;
                        var target = targets[i];
                        var truth = TrueClosest(runningIds, origin, target, k);
                        found += results[i].Count(c => truth.Contains(c.Id));
                        expected += truth.Count;
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
                    var reads = chunk.Select(key => running[random.Next(running.Length)].GetAsync(key, cancellationToken)).ToArray();
                    var results = await sim.RunAsync(Task.WhenAll(reads), cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        if (results[i].Value is { } value && value.AsString() == "v:" + chunk[i])
                        {
                            hits++;
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
            TimeProvider.System.GetElapsedTime(started),
            sim.Time.GetUtcNow() - virtualStart);
    }

    private static HashSet<NodeId> TrueClosest(NodeId[] running, NodeId origin, NodeId target, int k)
    {
        // A partial selection would do; a full sort of 10,000 ids per lookup is still only milliseconds.
        return [.. running.Where(id => id != origin).OrderBy(id => id ^ target).Take(k)];
    }

    private void PrintRun(SimulationRun run)
    {
        _output.Table(
            $"{run.Nodes:N0} nodes: build and memory",
            ["nodes", "join wall time", "total wall time", "CPU time", "GC heap", "per node", "working set", "contacts/node (mean)", "contacts/node (min)"],
            [[
                run.Nodes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                $"{run.JoinTime.TotalSeconds:F1} s",
                $"{run.WallTime.TotalSeconds:F1} s",
                $"{run.CpuTime.TotalSeconds:F1} s",
                $"{run.HeapBytes / 1048576.0:F0} MB",
                $"{run.HeapBytes / 1024.0 / run.Nodes:F1} KB",
                $"{run.WorkingSetBytes / 1048576.0:F0} MB",
                BenchOutput.Number(run.MeanContacts, 1),
                run.MinContacts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ]]);

        _output.Table(
            $"{run.Nodes:N0} nodes: lookups by share of nodes gone",
            ["gone", "running", "FIND_NODE", "rounds p50", "rounds p90", "rounds max", "RPCs mean", "RPCs p90", "timeouts mean", "true k closest", "gets found", "get RPCs mean", "wall", "virtual"],
            run.Levels.Select(level => (IReadOnlyList<string>)[
                $"{level.Percent} %",
                level.Running.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                level.FindNodes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Percentile(level.FindNodes.Select(r => (double)r.Rounds), 50),
                Percentile(level.FindNodes.Select(r => (double)r.Rounds), 90),
                level.FindNodes.Count == 0 ? "-" : level.FindNodes.Max(r => r.Rounds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                BenchOutput.Number(level.FindNodes.Count == 0 ? double.NaN : level.FindNodes.Average(r => r.Contacted), 1),
                Percentile(level.FindNodes.Select(r => (double)r.Contacted), 90),
                BenchOutput.Number(level.FindNodes.Count == 0 ? double.NaN : level.FindNodes.Average(r => r.Timeouts), 1),
                BenchOutput.Percent(level.TrueClosestShare),
                $"{level.GetsFound}/{level.Gets} ({BenchOutput.Percent((double)level.GetsFound / level.Gets)})",
                BenchOutput.Number(level.GetLookups.Count == 0 ? double.NaN : level.GetLookups.Average(r => r.Contacted), 1),
                $"{level.WallTime.TotalSeconds:F1} s",
                $"{level.VirtualTime.TotalSeconds:F0} s",
            ]));

        var first = run.Levels.FirstOrDefault();
        if (first is not null && first.FindNodes.Count > 0)
        {
            var histogram = first.FindNodes.GroupBy(r => r.Rounds).OrderBy(g => g.Key);
            _output.Table(
                $"{run.Nodes:N0} nodes, {first.Percent} % gone: FIND_NODE rounds (hop depth of the deepest answer)",
                ["rounds", "lookups", "share", "RPCs mean"],
                histogram.Select(g => (IReadOnlyList<string>)[
                    g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    g.Count().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    BenchOutput.Percent((double)g.Count() / first.FindNodes.Count),
                    BenchOutput.Number(g.Average(r => r.Contacted), 1),
                ]));
        }
    }

    private void PrintScaling(List<SimulationRun> runs)
    {
        _output.Table(
            "Scaling",
            ["nodes", "join wall time", "total wall time", "GC heap", "per node", "rounds p50 (0 %)", "RPCs mean (0 %)", "true k closest (0 %)", "gets found (0 %)"],
            runs.Select(run =>
            {
                var level = run.Levels.FirstOrDefault(l => l.Percent == 0) ?? run.Levels[0];
                return (IReadOnlyList<string>)[
                    run.Nodes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                    $"{run.JoinTime.TotalSeconds:F1} s",
                    $"{run.WallTime.TotalSeconds:F1} s",
                    $"{run.HeapBytes / 1048576.0:F0} MB",
                    $"{run.HeapBytes / 1024.0 / run.Nodes:F1} KB",
                    Percentile(level.FindNodes.Select(r => (double)r.Rounds), 50),
                    BenchOutput.Number(level.FindNodes.Count == 0 ? double.NaN : level.FindNodes.Average(r => r.Contacted), 1),
                    BenchOutput.Percent(level.TrueClosestShare),
                    BenchOutput.Percent((double)level.GetsFound / level.Gets),
                ];
            }));
    }

    private static string Percentile(IEnumerable<double> values, double percentile)
    {
        var sample = new LatencySample();
        foreach (var value in values)
        {
            sample.AddMilliseconds(value);
        }

        return BenchOutput.Number(sample.Percentile(percentile));
    }
}

/// <summary>One network size's results.</summary>
internal sealed record SimulationRun(
    int Nodes,
    TimeSpan JoinTime,
    TimeSpan WallTime,
    TimeSpan CpuTime,
    long HeapBytes,
    long WorkingSetBytes,
    double MeanContacts,
    int MinContacts,
    IReadOnlyList<ChurnLevel> Levels);

/// <summary>One churn level's results.</summary>
internal sealed record ChurnLevel(
    int Percent,
    int Running,
    IReadOnlyList<LookupRecord> FindNodes,
    IReadOnlyList<LookupRecord> GetLookups,
    double TrueClosestShare,
    int Gets,
    int GetsFound,
    TimeSpan WallTime,
    TimeSpan VirtualTime);

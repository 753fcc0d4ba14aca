using System.Globalization;

namespace Liaa.Node.Bench;

/// <summary>The tables of <c>bench sim</c>: each run, the median and spread over runs, and scaling across sizes.</summary>
internal static class SimulationReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Build figures, each with its format.</summary>
    private static readonly (string Name, Func<SimulationRun, double> Value, int Decimals)[] BuildFigures =
    [
        ("join wall time (s)", r => r.JoinTime.TotalSeconds, 1),
        ("total wall time (s)", r => r.WallTime.TotalSeconds, 1),
        ("CPU time (s)", r => r.CpuTime.TotalSeconds, 1),
        ("GC heap after build (MB)", r => r.HeapBytes / 1048576.0, 0),
        ("GC heap per node (KB)", r => r.HeapBytes / 1024.0 / r.Nodes, 1),
        ("working set (MB)", r => r.WorkingSetBytes / 1048576.0, 0),
        ("contacts/node mean", r => r.MeanContacts, 1),
        ("contacts/node min", r => r.MinContacts, 0),
        ("nodes with an empty table", r => r.Build.EmptyTables, 0),
        ("RPC timeouts in the build", r => r.Build.Timeouts, 0),
        ("requests rate-limited in the build", r => r.Build.RateLimited, 0),
        ("put p50 (ms, virtual)", r => r.PutLatency.Percentile(50), 0),
        ("put p90 (ms, virtual)", r => r.PutLatency.Percentile(90), 0),
    ];

    /// <summary>Figures per churn level; the RTT is the model's median, for the ratios.</summary>
    private static readonly (string Name, Func<ChurnLevel, double, double> Value, int Decimals)[] LevelFigures =
    [
        ("rounds p50", (l, _) => Percentile(l.FindNodes.Select(r => (double)r.Rounds), 50), 0),
        ("rounds p90", (l, _) => Percentile(l.FindNodes.Select(r => (double)r.Rounds), 90), 0),
        ("RPCs per lookup mean", (l, _) => l.FindNodes.Count == 0 ? double.NaN : l.FindNodes.Average(r => r.Contacted), 1),
        ("timeouts per lookup mean", (l, _) => l.FindNodes.Count == 0 ? double.NaN : l.FindNodes.Average(r => r.Timeouts), 1),
        ("true k closest (%)", (l, _) => l.TrueClosestShare * 100, 1),
        ("gets found (%)", (l, _) => 100.0 * l.GetsFound / l.Gets, 1),
        ("lookup p50 (ms)", (l, _) => l.LookupLatency.Percentile(50), 0),
        ("lookup p90 (ms)", (l, _) => l.LookupLatency.Percentile(90), 0),
        ("get p50 (ms)", (l, _) => l.GetLatency.Percentile(50), 0),
        ("get p90 (ms)", (l, _) => l.GetLatency.Percentile(90), 0),
        ("get wait after first value p50 (ms)", (l, _) => Percentile(l.GetLookups.Where(r => r.AfterFirstValueMs is not null).Select(r => r.AfterFirstValueMs!.Value), 50), 0),
        ("get wait after first value p90 (ms)", (l, _) => Percentile(l.GetLookups.Where(r => r.AfterFirstValueMs is not null).Select(r => r.AfterFirstValueMs!.Value), 90), 0),
        ("get p50 / median RTT", (l, rtt) => rtt > 0 ? l.GetLatency.Percentile(50) / rtt : double.NaN, 2),
        ("get p90 / median RTT", (l, rtt) => rtt > 0 ? l.GetLatency.Percentile(90) / rtt : double.NaN, 2),
    ];

    public static void PrintRun(BenchOutput output, SimulationRun run, TimeSpan medianRoundTrip)
    {
        output.Table(
            $"{run.Nodes:N0} nodes: build and memory",
            ["nodes", "join wall time", "total wall time", "CPU time", "GC heap", "per node", "working set", "contacts/node (mean)", "contacts/node (min)", "empty tables", "build timeouts", "rate-limited"],
            [[
                run.Nodes.ToString("N0", Invariant),
                $"{run.JoinTime.TotalSeconds:F1} s",
                $"{run.WallTime.TotalSeconds:F1} s",
                $"{run.CpuTime.TotalSeconds:F1} s",
                $"{run.HeapBytes / 1048576.0:F0} MB",
                $"{run.HeapBytes / 1024.0 / run.Nodes:F1} KB",
                $"{run.WorkingSetBytes / 1048576.0:F0} MB",
                BenchOutput.Number(run.MeanContacts, 1),
                run.MinContacts.ToString(Invariant),
                run.Build.EmptyTables.ToString(Invariant),
                run.Build.Timeouts.ToString("N0", Invariant),
                run.Build.RateLimited.ToString("N0", Invariant),
            ]]);

        var rtt = medianRoundTrip.TotalMilliseconds;
        output.Table(
            $"{run.Nodes:N0} nodes: lookups by share of nodes gone (latency on the virtual clock)",
            ["gone", "running", "FIND_NODE", "rounds p50", "rounds p90", "rounds max", "RPCs mean", "RPCs p90", "timeouts mean", "true k closest", "gets found", "get RPCs mean", "lookup p50/p90", "get p50/p90", "get / RTT p50, p90", "wall", "virtual"],
            run.Levels.Select(level => (IReadOnlyList<string>)[
                $"{level.Percent} %",
                level.Running.ToString("N0", Invariant),
                level.FindNodes.Count.ToString(Invariant),
                BenchOutput.Number(Percentile(level.FindNodes.Select(r => (double)r.Rounds), 50)),
                BenchOutput.Number(Percentile(level.FindNodes.Select(r => (double)r.Rounds), 90)),
                level.FindNodes.Count == 0 ? "-" : level.FindNodes.Max(r => r.Rounds).ToString(Invariant),
                BenchOutput.Number(level.FindNodes.Count == 0 ? double.NaN : level.FindNodes.Average(r => r.Contacted), 1),
                BenchOutput.Number(Percentile(level.FindNodes.Select(r => (double)r.Contacted), 90)),
                BenchOutput.Number(level.FindNodes.Count == 0 ? double.NaN : level.FindNodes.Average(r => r.Timeouts), 1),
                BenchOutput.Percent(level.TrueClosestShare),
                $"{level.GetsFound}/{level.Gets} ({BenchOutput.Percent((double)level.GetsFound / level.Gets)})",
                BenchOutput.Number(level.GetLookups.Count == 0 ? double.NaN : level.GetLookups.Average(r => r.Contacted), 1),
                $"{BenchOutput.Number(level.LookupLatency.Percentile(50))} / {BenchOutput.Number(level.LookupLatency.Percentile(90))} ms",
                $"{BenchOutput.Number(level.GetLatency.Percentile(50))} / {BenchOutput.Number(level.GetLatency.Percentile(90))} ms",
                rtt > 0 ? $"{BenchOutput.Number(level.GetLatency.Percentile(50) / rtt, 2)}, {BenchOutput.Number(level.GetLatency.Percentile(90) / rtt, 2)}" : "-",
                $"{level.WallTime.TotalSeconds:F1} s",
                $"{level.VirtualTime.TotalSeconds:F0} s",
            ]));
        if (run.Puts is { } puts)
        {
            output.Line($"per put: {BenchOutput.Number(puts.DatagramsPerPut, 1)} datagrams, {BenchOutput.Number(puts.FindNodesPerPut, 1)} FIND_NODE and {BenchOutput.Number(puts.StoresPerPut, 1)} STORE requests; true k closest holding the value {BenchOutput.Percent(puts.TrueClosestHolding)}, nodes holding it {BenchOutput.Number(puts.HoldersPerKey, 1)} (mean per key); process CPU per put {puts.CpuPerPut.TotalMilliseconds:F2} ms (every node and the simulator)");
        }

        output.Line("gets, virtual ms the FIND_VALUE went on after its first value (waiting for requests in flight), p50 / p90: " + string.Join(", ", run.Levels.Select(l =>
        {
            var waits = l.GetLookups.Where(r => r.AfterFirstValueMs is not null).Select(r => r.AfterFirstValueMs!.Value).ToArray();
            return $"{l.Percent} % gone {BenchOutput.Number(Percentile(waits, 50))} / {BenchOutput.Number(Percentile(waits, 90))}";
        })));
        output.Line($"puts: p50 {BenchOutput.Number(run.PutLatency.Percentile(50))} ms, p90 {BenchOutput.Number(run.PutLatency.Percentile(90))} ms (virtual); gets answered from the origin's own store: {string.Join(", ", run.Levels.Select(l => $"{l.LocalGets}/{l.Gets}"))}; build: {run.Build.Network}, requests per node joined: {run.Build.Requests?.Describe(Math.Max(1, run.Nodes - 1))}, drops overloaded {run.Build.Overloaded}, other {run.Build.OtherDrops}, nodes below k contacts {run.Build.BelowK}; clock steps forced past a busy thread: {run.ForcedSteps}");
        output.Line($"runtime: {run.Runtime}");

        var first = run.Levels.FirstOrDefault();
        if (first is not null && first.FindNodes.Count > 0)
        {
            var histogram = first.FindNodes.GroupBy(r => r.Rounds).OrderBy(g => g.Key);
            output.Table(
                $"{run.Nodes:N0} nodes, {first.Percent} % gone: FIND_NODE rounds (hop depth of the deepest answer)",
                ["rounds", "lookups", "share", "RPCs mean"],
                histogram.Select(g => (IReadOnlyList<string>)[
                    g.Key.ToString(Invariant),
                    g.Count().ToString(Invariant),
                    BenchOutput.Percent((double)g.Count() / first.FindNodes.Count),
                    BenchOutput.Number(g.Average(r => r.Contacted), 1),
                ]));
        }
    }

    /// <summary>Each figure's median over the runs of one size, with the lowest and highest run.</summary>
    public static void PrintSummary(BenchOutput output, IReadOnlyList<SimulationRun> runs, TimeSpan medianRoundTrip)
    {
        var nodes = runs[0].Nodes;
        output.Table(
            $"{nodes:N0} nodes, {runs.Count} runs (seeds {runs[0].Seed}–{runs[^1].Seed}): build, median (min–max)",
            ["figure", "median (min–max)"],
            BuildFigures.Select(f => (IReadOnlyList<string>)[f.Name, Spread(runs.Select(f.Value), f.Decimals)]));

        var rtt = medianRoundTrip.TotalMilliseconds;
        var levels = runs[0].Levels.Select(l => l.Percent).ToArray();
        output.Table(
            $"{nodes:N0} nodes, {runs.Count} runs: by share of nodes gone, median (min–max)",
            ["figure", .. levels.Select(p => $"{p} % gone")],
            LevelFigures.Select(f => (IReadOnlyList<string>)[
                f.Name,
                .. levels.Select((_, i) => Spread(runs.Select(r => f.Value(r.Levels[i], rtt)), f.Decimals)),
            ]));
    }

    public static void PrintScaling(BenchOutput output, IReadOnlyList<SimulationRun> runs)
    {
        output.Table(
            "Scaling (median of the runs of each size)",
            ["nodes", "runs", "join wall time", "total wall time", "GC heap", "per node", "rounds p50 (0 %)", "RPCs mean (0 %)", "true k closest (0 %)", "gets found (0 %)", "get p50 (0 %)"],
            runs.GroupBy(r => r.Nodes).Select(group =>
            {
                var of = group.ToArray();
                double Median(Func<SimulationRun, double> figure) => MedianOf(of.Select(figure));
                ChurnLevel Base(SimulationRun run) => run.Levels.FirstOrDefault(l => l.Percent == 0) ?? run.Levels[0];
                return (IReadOnlyList<string>)[
                    group.Key.ToString("N0", Invariant),
                    of.Length.ToString(Invariant),
                    $"{Median(r => r.JoinTime.TotalSeconds):F1} s",
                    $"{Median(r => r.WallTime.TotalSeconds):F1} s",
                    $"{Median(r => r.HeapBytes / 1048576.0):F0} MB",
                    $"{Median(r => r.HeapBytes / 1024.0 / r.Nodes):F1} KB",
                    BenchOutput.Number(Median(r => Percentile(Base(r).FindNodes.Select(x => (double)x.Rounds), 50))),
                    BenchOutput.Number(Median(r => Base(r).FindNodes.Count == 0 ? double.NaN : Base(r).FindNodes.Average(x => x.Contacted)), 1),
                    BenchOutput.Percent(Median(r => Base(r).TrueClosestShare)),
                    BenchOutput.Percent(Median(r => (double)Base(r).GetsFound / Base(r).Gets)),
                    $"{BenchOutput.Number(Median(r => Base(r).GetLatency.Percentile(50)))} ms",
                ];
            }));
    }

    private static string Spread(IEnumerable<double> values, int decimals)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return "-";
        }

        return $"{BenchOutput.Number(MedianOf(sorted), decimals)} ({BenchOutput.Number(sorted[0], decimals)}–{BenchOutput.Number(sorted[^1], decimals)})";
    }

    /// <summary>The median (the mean of the middle two for an even count); NaN when empty.</summary>
    internal static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static double Percentile(IEnumerable<double> values, double percentile)
    {
        var sample = new LatencySample();
        foreach (var value in values)
        {
            sample.AddMilliseconds(value);
        }

        return sample.Percentile(percentile);
    }
}

using System.Diagnostics;
using Liaa.Node.Hosting;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Bench;

/// <summary>Parameters of <c>bench rpc</c>.</summary>
internal sealed record RpcBenchmarkOptions
{
    /// <summary>Time measured per figure in each run.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(1);

    public bool Tracing { get; init; }

    public int InFlight { get; init; } = 32;

    /// <summary>Runs over every row; each figure reported is the median of the runs, with their spread.</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Only these RPCs (by name), or all.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Skip the one-at-a-time rows.</summary>
    public bool ConcurrentOnly { get; init; }

    /// <summary>For a profiler: run only Liaa's round trips, <c>traced</c> or <c>untraced</c> (null: the whole bench).</summary>
    public string? Profile { get; init; }

    /// <summary>With <see cref="Profile"/>: sample the allocations by type (<see cref="AllocationSampler"/>).</summary>
    public bool Allocations { get; init; }
}

/// <summary>
/// <c>bench rpc</c>: PING and FIND_NODE round trips per second between two Liaa endpoints over real
/// UDP on 127.0.0.1, one at a time and <see cref="RpcBenchmarkOptions.InFlight"/> at once, against the
/// ceiling of this machine measured in the same process and the same run: a plain UDP ping-pong of
/// datagrams of the same sizes between two threads polling non-blocking sockets
/// (<see cref="RawUdpPingPong"/>), and the same two threads blocking instead (what a design that sleeps
/// while idle can at best do). With <c>--tracing</c>, Liaa again with every RPC traced (both the client
/// and the server span sampled and recorded by an <see cref="ActivityListener"/>, as an exporter's would
/// be) and the overhead.
/// </summary>
/// <remarks>
/// Each run measures every row once, its figures back to back (ceiling, blocking, Liaa, Liaa traced), so
/// a burst of load from elsewhere on a shared machine hits one run rather than one figure; every figure
/// is the median of the runs, with their spread (half the range, in % of the median), and ratios are
/// the medians of the per-run ratios. With <c>--tracing</c>, Liaa untraced and traced are measured in
/// alternating windows within each run (four of each, a quarter of the duration apiece), so the overhead
/// compares the two under the same load. The server is the node's real request handling
/// (<see cref="BenchEndpoint"/>) with a routing table of 40 contacts, so FIND_NODE answers carry k = 20
/// contacts (~700 bytes).
/// </remarks>
internal sealed class RpcBenchmark
{
    /// <summary>The name of an endpoint's receive thread (<c>RpcEndpoint</c>): the bench's two endpoints have one each.</summary>
    internal const string ReceiveThreadName = "Liaa RPC receive";

    private static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(300);

    /// <summary>A ceiling whose runs spread more than this (half the range over the median) did not hold: quiet runs spread 1–12 %.</summary>
    internal const double MaxCeilingSpread = 0.25;

    // Windows apiece of untraced and traced round trips per run, alternating (--tracing).
    private const int AlternatingWindows = 4;

    // Warm-up windows of Liaa's round trips at most, per path and row, waiting for the JIT to settle (~3 s).
    private const int MaxWarmupWindows = 10;

    private readonly RpcBenchmarkOptions _options;
    private readonly BenchOutput _output;

    public RpcBenchmark(RpcBenchmarkOptions options, BenchOutput output)
    {
        _options = options;
        _output = output;
    }

    public async Task<IReadOnlyList<RpcFigure>> RunAsync(CancellationToken cancellationToken)
    {
        _output.Heading("RPC round trips on 127.0.0.1: Liaa against the machine's UDP ceiling");
        _output.Line(MachineInfo.Describe());
        var loadAtStart = MachineInfo.Load();
        await using var server = BenchEndpoint.Start(seed: 1);
        await using var client = BenchEndpoint.Start(seed: 2);
        server.AddContacts(40, new Random(3));

        // The first exchange is plain rpcudp; from then on the peers know each other as Liaa (extended form).
        await client.Rpc.SendAsync(server.EndPoint, new PingRequest(client.Id), cancellationToken: cancellationToken).ConfigureAwait(false);
        var requests = new (string Name, RpcRequest Request)[]
        {
            ("PING", new PingRequest(client.Id)),
            ("FIND_NODE", new FindNodeRequest(client.Id, Kademlia.NodeId.Random(new Random(4)))),
        };

        var inFlights = _options.ConcurrentOnly ? new[] { _options.InFlight } : new[] { 1, _options.InFlight }.Distinct().ToArray();
        var rows = requests
            .Where(r => _options.Methods is null || _options.Methods.Contains(r.Name, StringComparer.OrdinalIgnoreCase))
            .SelectMany(r => inFlights.Select(n => new Row(r.Name, r.Request, n)))
            .ToArray();
        if (rows.Length == 0)
        {
            throw new CommandLineException("--rpc names no RPC this bench measures (PING, FIND_NODE)");
        }

        foreach (var row in rows)
        {
            (row.RequestBytes, row.ResponseBytes) = await MeasureSizesAsync(client, server, row.Request, cancellationToken).ConfigureAwait(false);
        }

        if (_options.Profile is { } profile)
        {
            await ProfileAsync(client, server, rows, traced: profile == "traced", cancellationToken).ConfigureAwait(false);
            return [];
        }

        var measurements = _options.Tracing ? 4 : 3;
        await _output.StepAsync($"{rows.Length} rows x {_options.Runs} runs", async progress =>
        {
            // Warm every path (JIT, socket buffers) before anything counts.
            foreach (var row in rows)
            {
                await RawUdpPingPong.MeasureAsync(row.RequestBytes, row.ResponseBytes, row.InFlight, Warmup, polling: true, cancellationToken).ConfigureAwait(false);
                await RawUdpPingPong.MeasureAsync(row.RequestBytes, row.ResponseBytes, row.InFlight, Warmup, polling: false, cancellationToken).ConfigureAwait(false);
                await WarmLiaaAsync(client, server, row.Request, row.InFlight, cancellationToken).ConfigureAwait(false);
                if (_options.Tracing)
                {
                    // The traced path (span start and stop, the trace context in the header) is code of its own:
                    // warmed too, or the tiered JIT compiles it while the first traced figure is measured.
                    using var tracing = new TraceEverything();
                    await WarmLiaaAsync(client, server, row.Request, row.InFlight, cancellationToken).ConfigureAwait(false);
                }
            }

            var step = 0;
            for (var run = 0; run < _options.Runs; run++)
            {
                foreach (var row in rows)
                {
                    var status = $"run {run + 1}: {row.Name} x{row.InFlight}";
                    row.Ceiling.Add(await RawUdpPingPong.MeasureAsync(row.RequestBytes, row.ResponseBytes, row.InFlight, _options.Duration, polling: true, cancellationToken).ConfigureAwait(false));
                    progress.Report(++step / (double)(rows.Length * _options.Runs * measurements), status);
                    var cpuAtStart = Environment.CpuUsage.TotalTime;
                    var blocking = await RawUdpPingPong.MeasureAsync(row.RequestBytes, row.ResponseBytes, row.InFlight, _options.Duration, polling: false, cancellationToken).ConfigureAwait(false);
                    row.Blocking.Add(blocking);
                    row.BlockingCpu.Add((Environment.CpuUsage.TotalTime - cpuAtStart).TotalMicroseconds / (blocking * _options.Duration.TotalSeconds));
                    progress.Report(++step / (double)(rows.Length * _options.Runs * measurements), status);
                    if (!_options.Tracing)
                    {
                        var liaa = await MeasureLiaaCpuAsync(client, server, row.Request, row.InFlight, _options.Duration, cancellationToken).ConfigureAwait(false);
                        row.AddLiaa(liaa);
                        row.UntracedPlacement.Note(row.InFlight);
                        progress.Report(++step / (double)(rows.Length * _options.Runs * measurements), status);
                    }
                    else
                    {
                        // Untraced and traced in alternating windows (A B A B …, B A B A … in every other run), so both
                        // see the same load on a shared machine; each figure is the sum of its windows.
                        var (untraced, traced) = await MeasureAlternatingAsync(client, server, row, tracedFirst: run % 2 == 1, cancellationToken).ConfigureAwait(false);
                        row.AddLiaa(untraced);
                        progress.Report(++step / (double)(rows.Length * _options.Runs * measurements), status);
                        row.AddTraced(traced);
                        progress.Report(++step / (double)(rows.Length * _options.Runs * measurements), status);
                    }
                }
            }
        }).ConfigureAwait(false);

        var figures = rows.Select(r => r.ToFigure()).ToList();
        Print(figures, loadAtStart);
        return figures;
    }

    private void Print(List<RpcFigure> figures, string loadAtStart)
    {
        var headers = new List<string> { "RPC", "in flight", "bytes (req/resp)", "raw UDP rt/s", "blocking rt/s", "Liaa rt/s", "Liaa / ceiling", "Liaa / blocking", "Liaa mean latency", "CPU per rt blocking / Liaa", "Liaa allocated per rt" };
        if (_options.Tracing)
        {
            headers.AddRange(["Liaa traced rt/s", "tracing overhead", "traced CPU per rt", "traced allocated per rt"]);
        }

        _output.Table(
            $"Round trips per second: median of {_options.Runs} runs of {_options.Duration.TotalSeconds:0.##} s per figure, ± half their range",
            headers,
            figures.Select(f =>
            {
                var row = new List<string>
                {
                    f.Method,
                    f.InFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"{f.RequestBytes}/{f.ResponseBytes}",
                    WithSpread(f.Ceiling),
                    WithSpread(f.Blocking),
                    WithSpread(f.Liaa),
                    BenchOutput.Number(f.Ratio, 2),
                    BenchOutput.Number(f.BlockingRatio, 2),
                    $"{f.InFlight / f.Liaa.Median * 1e6:F0} µs",
                    $"{f.BlockingCpuMicrosecondsPerRoundTrip:F1} / {f.CpuMicrosecondsPerRoundTrip:F1} µs",
                    $"{f.AllocatedBytesPerRoundTrip:F0} B",
                };
                if (_options.Tracing)
                {
                    row.AddRange([WithSpread(f.Traced), $"{BenchOutput.Percent(f.TracingOverhead)} ({BenchOutput.Percent(f.TracingOverheadLow)} to {BenchOutput.Percent(f.TracingOverheadHigh)})", $"{f.TracedCpuMicrosecondsPerRoundTrip:F1} µs", $"{f.TracedAllocatedBytesPerRoundTrip:F0} B"]);
                }

                return (IReadOnlyList<string>)row;
            }));

        _output.Line("raw UDP: the ceiling, two threads polling non-blocking sockets (both cores busy); blocking: the same two threads sleeping in the kernel between datagrams; Liaa: two RpcEndpoints with the node's request handling, the client's callers continuing on its receive thread (an internal opt-in; the public SendAsync continues on the thread pool); all in this process, this run. CPU per rt: the process's CPU time (both sides) per round trip, for the blocking ping-pong and for Liaa; allocated: managed bytes per round trip (both sides)."
            + (_options.Tracing ? $" Liaa and Liaa traced: {AlternatingWindows} windows of each per run, alternating (untraced first in odd runs, traced first in even ones); tracing overhead: 1 − traced/untraced rt/s of each run, median (lowest to highest)." : ""));
        if (Placement(figures) is { } placement)
        {
            _output.Line(placement);
        }

        foreach (var f in figures.Where(f => f.InFlight > 1))
        {
            var unsteady = UnsteadyCeiling(f);
            _output.Line($"goal (issue 15): {f.Method} with {f.InFlight} in flight at least 0.5 of the ceiling: {(f.Ratio >= 0.5 ? "met" : "NOT met")} ({f.Ratio:F2})"
                + (unsteady is null ? string.Empty : $", against a ceiling that did not hold: {unsteady}"));
        }

        var unsteadyRows = figures.Where(f => UnsteadyCeiling(f) is not null).Select(f => $"{f.Method} x{f.InFlight}").ToList();
        if (unsteadyRows.Count > 0)
        {
            _output.Line($"caution: the ceiling did not hold in {string.Join(", ", unsteadyRows)} (its runs spread more than ±{MaxCeilingSpread * 100:F0} %, or Liaa beat it): "
                + "the polling ping-pong needs both cores to itself, so on a busy machine its figure, and every ratio to it, says more about the load than about Liaa; re-run when the load average is below the core count");
        }

        if (_options.Tracing)
        {
            var overhead = figures.Max(f => f.TracingOverhead);
            _output.Line($"goal (issue 15): at most 10 % slower with every RPC traced, in every row: {(overhead <= 0.10 ? "met" : "NOT met")} (highest {overhead:P1})");
        }

        _output.Line($"at start: {loadAtStart}; at end: {MachineInfo.Load()}");
    }

    /// <summary>
    /// Where the one-at-a-time rows ran: their figures, and the tracing overhead between windows, follow whether the two
    /// receive threads shared a CPU (the bench's own measurements on a 2-core VM: ~17 µs of CPU per PING round trip on
    /// one CPU, ~40–50 µs on two). Null when no window was placed (not Linux, or no one-at-a-time row).
    /// </summary>
    internal static string? Placement(IEnumerable<RpcFigure> figures)
    {
        var rows = figures
            .Where(f => f.UntracedPlacement is { Windows: > 0 } || f.TracedPlacement is { Windows: > 0 })
            .Select(f => $"{f.Method} x{f.InFlight} in {f.UntracedPlacement} untraced"
                + (f.TracedPlacement is { Windows: > 0 } traced ? $" and {traced} traced windows" : " windows"))
            .ToList();
        return rows.Count == 0 ? null
            : $"one at a time, the two receive threads had last run on the same CPU at the end of: {string.Join("; ", rows)}. "
                + "On one CPU each datagram wakes its reader there; on two, each of a round trip's two wake-ups crosses CPUs and costs CPU time and latency, "
                + "so these rows' rates, CPU per round trip and tracing overhead depend on where the scheduler put the threads; compare runs placed alike";
    }

    /// <summary>
    /// Why a row's ratio to the ceiling is not a measurement of the goal, or null when the ceiling held: its runs spread
    /// more than <see cref="MaxCeilingSpread"/>, or Liaa did more round trips than it (a ceiling is never beaten: the polling
    /// ping-pong was descheduled, as it is on a busy machine).
    /// </summary>
    internal static string? UnsteadyCeiling(RpcFigure figure) =>
        figure.Ratio > 1 ? $"Liaa did {figure.Ratio:F2} times its round trips"
        : figure.Ceiling.Spread > MaxCeilingSpread ? $"its runs spread ±{figure.Ceiling.Spread * 100:F0} %"
        : null;

    /// <summary>
    /// <c>--profile</c>: each row's round trips only, traced or untraced, in windows a profiler can be pointed at
    /// (<c>perf record</c> over the whole process sees just this path), with the figures of each window.
    /// </summary>
    private async Task ProfileAsync(BenchEndpoint client, BenchEndpoint server, Row[] rows, bool traced, CancellationToken cancellationToken)
    {
        using var tracing = traced ? new TraceEverything() : null;
        foreach (var row in rows)
        {
            await WarmLiaaAsync(client, server, row.Request, row.InFlight, cancellationToken).ConfigureAwait(false);
        }

        using var allocations = _options.Allocations ? new AllocationSampler() : null;
        foreach (var row in rows)
        {
            for (var run = 0; run < _options.Runs; run++)
            {
                var gen0 = GC.CollectionCount(0);
                var gen1 = GC.CollectionCount(1);
                var paused = GC.GetTotalPauseDuration();
                var switches = MachineInfo.ContextSwitches();
                var measured = await MeasureLiaaCpuAsync(client, server, row.Request, row.InFlight, _options.Duration, cancellationToken).ConfigureAwait(false);
                var (perSecond, cpu, allocated) = (measured.PerSecond, measured.CpuMicroseconds, measured.AllocatedBytes);
                double roundTrips = measured.Completed;
                var switched = switches < 0 ? "" : $", {(MachineInfo.ContextSwitches() - switches) / roundTrips:F2} context switches per rt";
                if (MachineInfo.LastCpus(ReceiveThreadName) is { Count: > 0 } cpus)
                {
                    switched += $", receive threads last on CPUs {string.Join("/", cpus)}";
                }

                _output.Line($"{row.Name} x{row.InFlight} {(traced ? "traced" : "untraced")}: {perSecond:N0} rt/s, {cpu:F2} µs CPU per rt, {allocated:F0} B per rt, "
                    + $"{(GC.CollectionCount(0) - gen0) * 1e6 / roundTrips:F1} gen0 / {(GC.CollectionCount(1) - gen1) * 1e6 / roundTrips:F1} gen1 GCs per million rt, "
                    + $"GC paused {(GC.GetTotalPauseDuration() - paused).TotalMicroseconds / roundTrips:F2} µs per rt{switched}");
            }
        }

        if (allocations is not null)
        {
            _output.Line("allocations (sampled): " + string.Join(", ", allocations.Top(25).Select(t => $"{t.Type} {t.Share:P1}")));
        }

        _output.Line($"spans recorded: {tracing?.Spans ?? 0}; load: {MachineInfo.Load()}");
    }

    private static string WithSpread(RunFigures figures) =>
        $"{BenchOutput.Number(figures.Median)} ±{figures.Spread * 100:F0} %";

    /// <summary>
    /// Runs Liaa's round trips until the JIT has nothing left to compile for them (no method compiled in a whole
    /// window, at most <see cref="MaxWarmupWindows"/> windows): the tiered JIT recompiles hot methods in the
    /// background after a delay, and on a busy machine 300 ms did not suffice, so the first figures measured
    /// the compiler too (its thread took 1–3 µs per traced round trip in a 3 s window after 1 s of warm-up).
    /// </summary>
    private static async Task WarmLiaaAsync(BenchEndpoint client, BenchEndpoint server, RpcRequest request, int inFlight, CancellationToken cancellationToken)
    {
        await MeasureLiaaAsync(client, server, request, inFlight, Warmup, cancellationToken).ConfigureAwait(false);
        for (var window = 0; window < MaxWarmupWindows; window++)
        {
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            await MeasureLiaaAsync(client, server, request, inFlight, Warmup, cancellationToken).ConfigureAwait(false);
            if (System.Runtime.JitInfo.GetCompiledMethodCount() == compiled)
            {
                return;
            }
        }
    }

    private static async Task<double> MeasureLiaaAsync(BenchEndpoint client, BenchEndpoint server, RpcRequest request, int inFlight, TimeSpan duration, CancellationToken cancellationToken) =>
        (await MeasureLiaaCpuAsync(client, server, request, inFlight, duration, cancellationToken).ConfigureAwait(false)).PerSecond;

    /// <summary>
    /// Liaa untraced and traced, each for the run's duration, in <see cref="AlternatingWindows"/> windows apiece that
    /// alternate (traced first when <paramref name="tracedFirst"/>): a burst of load from elsewhere falls on both.
    /// </summary>
    private async Task<(LiaaWindow Untraced, LiaaWindow Traced)> MeasureAlternatingAsync(BenchEndpoint client, BenchEndpoint server, Row row, bool tracedFirst, CancellationToken cancellationToken)
    {
        var window = _options.Duration / AlternatingWindows;
        var untraced = default(LiaaWindow);
        var traced = default(LiaaWindow);
        for (var i = 0; i < 2 * AlternatingWindows; i++)
        {
            if ((i % 2 == 0) == tracedFirst)
            {
                using var tracing = new TraceEverything();
                traced += await MeasureLiaaCpuAsync(client, server, row.Request, row.InFlight, window, cancellationToken).ConfigureAwait(false);
                row.TracedPlacement.Note(row.InFlight);
                if (tracing.Spans == 0)
                {
                    throw new InvalidOperationException("tracing was on but no span was recorded");
                }
            }
            else
            {
                untraced += await MeasureLiaaCpuAsync(client, server, row.Request, row.InFlight, window, cancellationToken).ConfigureAwait(false);
                row.UntracedPlacement.Note(row.InFlight);
            }
        }

        return (untraced, traced);
    }

    // The loops' continuation is short and never blocks: it runs on the client's receive thread, which sends the next
    // request itself (no thread-pool hop per round trip), and each call awaits a pooled source (CallAsync).
    private static readonly RpcCallOptions ContinueOnReceiveThread = new() { ContinuesOnCompletingThread = true };

    /// <summary>Round trips completed in a window of Liaa's, its length, and the CPU time and managed bytes this process spent meanwhile (both sides).</summary>
    private static async Task<LiaaWindow> MeasureLiaaCpuAsync(BenchEndpoint client, BenchEndpoint server, RpcRequest request, int inFlight, TimeSpan duration, CancellationToken cancellationToken)
    {
        var cpuAtStart = Environment.CpuUsage.TotalTime;
        var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        var deadline = TimeProvider.System.GetTimestamp() + (long)(duration.TotalSeconds * TimeProvider.System.TimestampFrequency);
        var started = TimeProvider.System.GetTimestamp();
        long completed = 0;
        long failed = 0;
        var workers = new Task[inFlight];
        for (var i = 0; i < inFlight; i++)
        {
            workers[i] = Task.Run(
                async () =>
                {
                    while (TimeProvider.System.GetTimestamp() < deadline)
                    {
                        var result = await client.Rpc.CallAsync(server.EndPoint, request, ContinueOnReceiveThread, cancellationToken).ConfigureAwait(false);
                        if (result.IsOk)
                        {
                            Interlocked.Increment(ref completed);
                        }
                        else
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                },
                cancellationToken);
        }

        // The last worker ends on the client's receive thread: the bench goes on from the pool, not from there.
        await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        if (Interlocked.Read(ref failed) > 0 && Interlocked.Read(ref completed) == 0)
        {
            throw new InvalidOperationException($"every {request.Method} call failed");
        }

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var cpu = Environment.CpuUsage.TotalTime - cpuAtStart;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        return new LiaaWindow(Interlocked.Read(ref completed), elapsed, cpu, allocated);
    }

    /// <summary>The datagram sizes of one exchange as it is on the wire between Liaa peers.</summary>
    private static async Task<(int Request, int Response)> MeasureSizesAsync(BenchEndpoint client, BenchEndpoint server, RpcRequest request, CancellationToken cancellationToken)
    {
        var result = await client.Rpc.SendAsync(server.EndPoint, request, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"{request.Method} to the bench server failed: {result.Status}");
        }

        using var writer = new PooledBufferWriter();
        WireCodec.WriteRequest(writer, MessageId.NewLiaa(new Random(5)), request, LiaaHeader.Current);
        return (writer.WrittenCount, result.ResponseBytes);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed class Row(string name, RpcRequest request, int inFlight)
    {
        public string Name { get; } = name;

        public RpcRequest Request { get; } = request;

        public int InFlight { get; } = inFlight;

        public int RequestBytes { get; set; }

        public int ResponseBytes { get; set; }

        public List<double> Ceiling { get; } = [];

        public List<double> Blocking { get; } = [];

        public List<double> Liaa { get; } = [];

        public List<double> Traced { get; } = [];

        public List<double> LiaaCpu { get; } = [];

        public List<double> BlockingCpu { get; } = [];

        public List<double> TracedCpu { get; } = [];

        public List<double> LiaaAllocated { get; } = [];

        public List<double> TracedAllocated { get; } = [];

        public ReceiveThreadPlacement UntracedPlacement { get; } = new();

        public ReceiveThreadPlacement TracedPlacement { get; } = new();

        public void AddLiaa(LiaaWindow measured)
        {
            Liaa.Add(measured.PerSecond);
            LiaaCpu.Add(measured.CpuMicroseconds);
            LiaaAllocated.Add(measured.AllocatedBytes);
        }

        public void AddTraced(LiaaWindow measured)
        {
            Traced.Add(measured.PerSecond);
            TracedCpu.Add(measured.CpuMicroseconds);
            TracedAllocated.Add(measured.AllocatedBytes);
        }

        public RpcFigure ToFigure()
        {
            var overheads = Traced.Select((t, i) => 1 - (t / Liaa[i])).ToArray();
            return new RpcFigure(Name, InFlight, RequestBytes, ResponseBytes, RunFigures.Of(Ceiling), RunFigures.Of(Blocking), RunFigures.Of(Liaa), RunFigures.Of(Traced))
            {
                UntracedPlacement = UntracedPlacement,
                TracedPlacement = TracedPlacement,
                Ratio = Median(Liaa.Select((l, i) => l / Ceiling[i])),
                BlockingRatio = Median(Liaa.Select((l, i) => l / Blocking[i])),
                CpuMicrosecondsPerRoundTrip = Median(LiaaCpu),
                BlockingCpuMicrosecondsPerRoundTrip = Median(BlockingCpu),
                TracedCpuMicrosecondsPerRoundTrip = TracedCpu.Count > 0 ? Median(TracedCpu) : double.NaN,
                AllocatedBytesPerRoundTrip = Median(LiaaAllocated),
                TracedAllocatedBytesPerRoundTrip = TracedAllocated.Count > 0 ? Median(TracedAllocated) : double.NaN,
                TracingOverhead = overheads.Length > 0 ? Median(overheads) : double.NaN,
                TracingOverheadLow = overheads.Length > 0 ? overheads.Min() : double.NaN,
                TracingOverheadHigh = overheads.Length > 0 ? overheads.Max() : double.NaN,
            };
        }
    }

    /// <summary>Round trips of Liaa's completed in a window, its length, and this process's CPU time and managed bytes meanwhile.</summary>
    private readonly record struct LiaaWindow(long Completed, TimeSpan Elapsed, TimeSpan Cpu, long Allocated)
    {
        public double PerSecond => Completed == 0 ? 0 : Completed / Elapsed.TotalSeconds;

        public double CpuMicroseconds => Completed == 0 ? double.NaN : Cpu.TotalMicroseconds / Completed;

        public double AllocatedBytes => Completed == 0 ? double.NaN : (double)Allocated / Completed;

        public static LiaaWindow operator +(LiaaWindow a, LiaaWindow b) =>
            new(a.Completed + b.Completed, a.Elapsed + b.Elapsed, a.Cpu + b.Cpu, a.Allocated + b.Allocated);
    }

    /// <summary>Samples and records every span of <c>Liaa.Node</c>, and touches each ended span as an exporter's processor would.</summary>
    private sealed class TraceEverything : IDisposable
    {
        private readonly ActivityListener _listener;
        private long _spans;
        private long _tags;

        public TraceEverything()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    Interlocked.Increment(ref _spans);
                    // As OpenTelemetry's exporters read them: the struct enumerator, no enumerator object per span.
                    var tags = 0;
                    foreach (ref readonly var _ in activity.EnumerateTagObjects())
                    {
                        tags++;
                    }

                    Interlocked.Add(ref _tags, tags);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public long Spans => Interlocked.Read(ref _spans);

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>One row of <c>bench rpc</c>: each figure over the runs; ratios are medians of the per-run ratios.</summary>
internal sealed record RpcFigure(string Method, int InFlight, int RequestBytes, int ResponseBytes, RunFigures Ceiling, RunFigures Blocking, RunFigures Liaa, RunFigures Traced)
{
    public double RawPerSecond => Ceiling.Median;

    public double LiaaPerSecond => Liaa.Median;

    public double TracedPerSecond => Traced.Median;

    /// <summary>Liaa / ceiling.</summary>
    public double Ratio { get; init; }

    /// <summary>CPU time of the whole process (client and server endpoint) per Liaa round trip, in µs: less noisy than rates on a busy machine.</summary>
    public double CpuMicrosecondsPerRoundTrip { get; init; }

    /// <summary>The same for the blocking raw ping-pong: the system calls and wake-ups alone.</summary>
    public double BlockingCpuMicrosecondsPerRoundTrip { get; init; }

    /// <summary>The same for Liaa with every RPC traced.</summary>
    public double TracedCpuMicrosecondsPerRoundTrip { get; init; }

    /// <summary>Managed bytes allocated in this process (both sides) per Liaa round trip.</summary>
    public double AllocatedBytesPerRoundTrip { get; init; }

    /// <summary>The same with every RPC traced.</summary>
    public double TracedAllocatedBytesPerRoundTrip { get; init; }

    /// <summary>Liaa / the blocking two-thread ping-pong.</summary>
    public double BlockingRatio { get; init; }

    /// <summary>How much slower traced is than untraced: 1 − traced/untraced (median over runs, then lowest and highest).</summary>
    public double TracingOverhead { get; init; }

    public double TracingOverheadLow { get; init; }

    public double TracingOverheadHigh { get; init; }

    /// <summary>One at a time: where the two receive threads were at the end of each untraced Liaa window.</summary>
    public ReceiveThreadPlacement? UntracedPlacement { get; init; }

    /// <summary>The same for the traced windows.</summary>
    public ReceiveThreadPlacement? TracedPlacement { get; init; }
}

/// <summary>
/// For the one-at-a-time rows: in how many Liaa windows the client's and the server's receive threads had last run on
/// the same CPU when the window ended (Linux). The scheduler keeps them where it put them, mostly for the whole run, and
/// the row's figures follow: on one CPU a datagram wakes its reader there; on two each of a round trip's two wake-ups
/// crosses CPUs (an interprocessor interrupt to wake the other, idle CPU).
/// </summary>
internal sealed class ReceiveThreadPlacement
{
    public int SameCpu { get; private set; }

    public int Windows { get; private set; }

    /// <summary>After a window of a row <paramref name="inFlight"/> calls at a time: counted for one at a time only, when both threads are found.</summary>
    public void Note(int inFlight)
    {
        if (inFlight == 1 && MachineInfo.LastCpus(RpcBenchmark.ReceiveThreadName) is { Count: 2 } cpus)
        {
            Add(cpus[0] == cpus[1]);
        }
    }

    public void Add(bool sameCpu)
    {
        Windows++;
        if (sameCpu)
        {
            SameCpu++;
        }
    }

    public override string ToString() => $"{SameCpu} of {Windows}";
}

/// <summary>One figure measured once per run: the median and the spread (half the range over the median).</summary>
internal readonly record struct RunFigures(double Median, double Spread, IReadOnlyList<double> Values)
{
    public static RunFigures Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return new RunFigures(double.NaN, double.NaN, values);
        }

        var sorted = values.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return new RunFigures(median, (sorted[^1] - sorted[0]) / 2 / median, values);
    }
}

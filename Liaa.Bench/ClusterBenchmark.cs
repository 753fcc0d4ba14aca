using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Storage;
using Liaa.Node.Wire;

namespace Liaa.Node.Bench;

/// <summary>Parameters of <c>bench cluster</c>.</summary>
internal sealed record ClusterBenchmarkOptions
{
    public int Nodes { get; init; } = 20;

    /// <summary>Puts, then gets of the same keys, measured one at a time.</summary>
    public int Operations { get; init; } = 300;

    /// <summary>Operations in flight in the throughput phase.</summary>
    public int InFlight { get; init; } = 32;

    /// <summary>
    /// Puts and gets (8 in flight) run before anything is measured, so both systems are in steady state.
    /// Liaa's node processes need it: tiered compilation recompiles the hot paths of every process in
    /// the background for a while after start (with 200 operations, that recompilation still took
    /// 40 % of the machine during the measured puts and made their p99 ten times worse).
    /// </summary>
    public int Warmup { get; init; } = 2000;

    /// <summary>
    /// OpenDHT's warm-up: a compiled program needs none beyond its first searches, and every value an
    /// OpenDHT runner puts stays announced (searched for and re-put) by it, so a long warm-up only makes its
    /// measured operations slower (2000 instead of 200 took its 20-node put p50 from 0.7 to 2.9 ms).
    /// </summary>
    public int OpenDhtWarmup { get; init; } = 200;

    /// <summary>An executable to run Liaa's nodes from (e.g. a Native AOT build); null runs this build's <c>Liaa.Node.dll</c> with <c>dotnet</c>.</summary>
    public string? NodeExecutable { get; init; }

    /// <summary>Run the workload on Liaa.</summary>
    public bool IncludeLiaa { get; init; } = true;

    /// <summary>Run the same workload on OpenDHT when it is installed.</summary>
    public bool IncludeOpenDht { get; init; } = true;

    public int ValueBytes { get; init; } = 100;

    /// <summary>k for Liaa's nodes and clients; null keeps the default (20).</summary>
    public int? K { get; init; }

    /// <summary>Extra environment for every Liaa node process (configuration such as <c>Liaa__Kademlia__Alpha</c>).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long after the last node started every node may take to know 8 live peers.</summary>
    public TimeSpan PeersTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Measured runs per system on the same cluster (fresh keys, and for OpenDHT fresh clients, each run); each figure is reported as the median run with the min–max spread. The command's default is 3.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>
    /// Fresh Liaa clusters started to measure how soon every node knows 8 live peers (issue 15: within 1 s, every run):
    /// each started, watched until every node knew 8, and stopped; the workload runs on the last one. The command's default is 3.
    /// </summary>
    public int StartRuns { get; init; } = 1;

    /// <summary>Liaa's bench putter answers once this many holders stored a value (<c>Liaa:Storage:PutAcknowledgements</c>); 0 waits for all k, null: the node's default.</summary>
    public int? PutAcknowledgements { get; init; }

    /// <summary>Liaa's bench putter's lookups end at convergence (<c>Liaa:Storage:PutStoresAtConvergence</c>); null: the node's default.</summary>
    public bool? PutStoresAtConvergence { get; init; }

    /// <summary>Put lookups Liaa's bench putter remembers for reuse (<c>Liaa:Storage:PutLookupReuse</c>); 0: a lookup per put; null: the node's default.</summary>
    public int? PutLookupReuse { get; init; }

    /// <summary>The Python interpreters tried for OpenDHT, in order: Debian's module is built for the system's.</summary>
    public IReadOnlyList<string> OpenDhtInterpreters { get; init; } = ["/usr/bin/python3", "python3"];

    /// <summary>The user asked to run one system only: a missing OpenDHT is then not an error.</summary>
    public bool OpenDhtOptional => !IncludeOpenDht;

    /// <summary>Trace the puts measured one at a time and print where their time went (<see cref="PutProfile"/>).</summary>
    public bool Profile { get; init; }

    /// <summary>Puts (and gets) in the throughput phase: four times the latency phase.</summary>
    public int ThroughputOperations => Operations * 4;
}

/// <summary>What one system did in <c>bench cluster</c>.</summary>
internal sealed record ClusterFigures(
    string System,
    int Nodes,
    LatencySample Puts,
    int PutsFailed,
    LatencySample Gets,
    int GetsFound,
    double PutsPerSecond,
    double GetsPerSecond,
    int BulkGetsFound,
    int BulkGets,
    IReadOnlyList<TimeSpan?> TimesToKnowPeers,
    TimeSpan StartTime,
    double MeanWorkingSetBytes,
    TimeSpan? ReadyTime = null,
    TimeSpan? StartCpuPerNode = null);

/// <summary>One fresh Liaa cluster's start: how soon each node knew 8 live peers, and what the slowest went through.</summary>
internal sealed record FreshStart(int Run, IReadOnlyList<TimeSpan?> TimesToKnowPeers, TimeSpan? ReadyTime, IReadOnlyList<string> Slowest, string LoadAtStart, string LoadAtEnd, string? Phases = null)
{
    /// <summary>The slowest node's time to know 8 live peers; null when one never did.</summary>
    public TimeSpan? Worst => TimesToKnowPeers.Any(t => t is null) ? null : TimesToKnowPeers.Max();
}

/// <summary>
/// <c>bench cluster</c>: a real loopback cluster of node processes and a put/get workload through
/// client nodes in the bench process: latency one at a time (p50, p99), the share of gets that found
/// the value, operations per second with 32 in flight, and how soon every node of the fresh cluster
/// knew 8 live peers; then, when Debian's OpenDHT is installed, the same on an OpenDHT cluster of the
/// same size, and the ratios against the goals of issue 9.
/// </summary>
/// <remarks>
/// Puts go through one client and gets through another, so no get is answered from the putter's own
/// copy (a Liaa node keeps what it puts; an OpenDHT runner too). Liaa's clients are client-mode nodes
/// (as the CLI's get/put): the cluster does not add them to routing tables, and each operation is a
/// full iterative lookup. OpenDHT's are two <c>DhtRunner</c>s in one Python process
/// (<c>opendht_bench.py workload</c>); its nodes are one runner per Python process with rate
/// limits off, as OpenDHT's perftest runs them (the <c>dhtnode</c> tool has no switch for that).
/// </remarks>
internal sealed partial class ClusterBenchmark
{
    private readonly ClusterBenchmarkOptions _options;
    private readonly BenchOutput _output;
    private readonly List<FreshStart> _freshStarts = [];

    public ClusterBenchmark(ClusterBenchmarkOptions options, BenchOutput output)
    {
        _options = options;
        _output = output;
    }

    public async Task<IReadOnlyList<ClusterFigures>> RunAsync(CancellationToken cancellationToken)
    {
        _output.Heading($"Cluster of {_options.Nodes} node processes on 127.0.0.1");
        _output.Line(MachineInfo.Describe());
        _output.Line($"at start: {MachineInfo.Load()}");
        _output.Line(
            $"measures: put and get latency ({_options.Operations} one at a time) and throughput ({_options.ThroughputOperations} with {_options.InFlight} in flight) through client nodes, "
            + $"{_options.Runs} run(s) per system on one cluster each, median run and min–max; Liaa (k = {_options.K ?? 20} holders, α = 3, "
            + $"{DescribePut()})"
            + (_options.IncludeOpenDht ? " against OpenDHT 2.4 (python3-opendht runners, rate limits off, storing at its 8 closest)" : "; OpenDHT not run (--only liaa)"));
        foreach (var (name, value) in NodeEnvironment())
        {
            _output.Line($"Liaa nodes run with {name}={value}");
        }

        // The peer is looked for before anything is measured: a missing OpenDHT ends the command at once, not after Liaa's minutes.
        string? openDhtAbsent = null;
        (string Python, string Script)? openDht = null;
        if (!_options.IncludeOpenDht)
        {
            openDhtAbsent = "skipped (--only liaa)";
        }
        else
        {
            var (found, absent) = await FindOpenDhtAsync(_options.OpenDhtInterpreters, cancellationToken).ConfigureAwait(false);
            openDht = found;
            if (found is null)
            {
                _output.Line($"OpenDHT: {absent}");
                throw new Hosting.CommandLineException($"OpenDHT cannot run ({absent}): there is nothing to compare with; pass --only liaa to measure Liaa alone");
            }
        }

        var results = new List<ClusterFigures>();
        if (_options.IncludeLiaa)
        {
            results.AddRange(await RunLiaaAsync(cancellationToken).ConfigureAwait(false));
        }

        if (openDht is { } peer)
        {
            try
            {
                results.AddRange(await RunOpenDhtAsync(peer.Python, peer.Script, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or JsonException or IOException)
            {
                openDhtAbsent = $"failed: {ex.Message}";
            }
        }

        Print(results, openDhtAbsent);
        if (openDhtAbsent is not null && !_options.OpenDhtOptional)
        {
            throw new Hosting.CommandLineException($"OpenDHT could not run ({openDhtAbsent}): there is nothing to compare with; pass --only liaa to measure Liaa alone");
        }

        return results;
    }

    private async Task<List<ClusterFigures>> RunLiaaAsync(CancellationToken cancellationToken)
    {
        // The fresh clusters before the last only start and stop: how soon their nodes knew 8 live peers.
        for (var run = 1; run < _options.StartRuns; run++)
        {
            var loadAtStart = MachineInfo.Load();
            var fresh = await _output.StepAsync($"Liaa: fresh cluster {run} of {_options.StartRuns}: starting {_options.Nodes} node processes", progress =>
                ProcessCluster.StartLiaaAsync(_options.Nodes, NodeEnvironment(), _options.NodeExecutable, progress, cancellationToken)).ConfigureAwait(false);
            await using (fresh.ConfigureAwait(false))
            {
                await _output.StepAsync($"Liaa: fresh cluster {run}: every node to know {ProcessCluster.PeersWanted} live peers", progress =>
                    fresh.WaitForPeersAsync(_options.PeersTimeout, progress, cancellationToken)).ConfigureAwait(false);
                _freshStarts.Add(new FreshStart(run, fresh.TimesToKnowPeers(), fresh.TimeToAllKnowPeers(), fresh.DescribeSlowest(2), loadAtStart, MachineInfo.Load(), fresh.DescribeStart()));
            }
        }

        var started = TimeProvider.System.GetTimestamp();
        var lastLoad = MachineInfo.Load();
        var cluster = await _output.StepAsync($"Liaa: starting {_options.Nodes} node processes", progress =>
            ProcessCluster.StartLiaaAsync(_options.Nodes, NodeEnvironment(), _options.NodeExecutable, progress, cancellationToken)).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            var startTime = TimeProvider.System.GetElapsedTime(started);
            await _output.StepAsync($"Liaa: every node to know {ProcessCluster.PeersWanted} live peers", progress =>
                cluster.WaitForPeersAsync(_options.PeersTimeout, progress, cancellationToken)).ConfigureAwait(false);
            _freshStarts.Add(new FreshStart(_options.StartRuns, cluster.TimesToKnowPeers(), cluster.TimeToAllKnowPeers(), cluster.DescribeSlowest(2), lastLoad, MachineInfo.Load(), cluster.DescribeStart()));

            var putter = await StartClientAsync(cluster.Seed, _options.K, _options.PutAcknowledgements, _options.PutStoresAtConvergence, _options.PutLookupReuse, cancellationToken).ConfigureAwait(false);
            await using var putterScope = putter.ConfigureAwait(false);
            var getter = await StartClientAsync(cluster.Seed, _options.K, null, null, null, cancellationToken).ConfigureAwait(false);
            await using var getterScope = getter.ConfigureAwait(false);

            var value = DhtValue.FromBytes(Payload(_options.ValueBytes));
            var prefix = $"bench-liaa-{Environment.ProcessId}-{TimeProvider.System.GetTimestamp()}";
            var warm = Enumerable.Range(0, _options.Warmup).Select(i => NodeId.FromKey($"{prefix}-warm-{i}")).ToArray();
            await _output.StepAsync($"Liaa: warming up ({warm.Length} puts and gets, not measured)", async progress =>
            {
                await ConcurrentlyAsync(warm.Length, 8, progress, async i => (await putter.PutAsync(warm[i], value, cancellationToken).ConfigureAwait(false)).StoredAt > 0).ConfigureAwait(false);
                await ConcurrentlyAsync(warm.Length, 8, progress, async i => (await getter.GetAsync(warm[i], cancellationToken).ConfigureAwait(false)).IsFound).ConfigureAwait(false);
            }).ConfigureAwait(false);
            var runs = new List<ClusterFigures>();
            for (var run = 1; run <= _options.Runs; run++)
            {
                runs.Add(await MeasureLiaaAsync(putter, getter, value, $"{prefix}-run{run}", run, cluster, startTime, cancellationToken).ConfigureAwait(false));
            }

            return runs;
        }
    }

    private async Task<ClusterFigures> MeasureLiaaAsync(
        LiaaNode putter, LiaaNode getter, DhtValue value, string prefix, int run, ProcessCluster cluster, TimeSpan startTime, CancellationToken cancellationToken)
    {
        var keys = Enumerable.Range(0, _options.Operations).Select(i => NodeId.FromKey($"{prefix}-seq-{i}")).ToArray();

        var puts = new LatencySample();
        var profile = _options.Profile ? new PutProfile() : null;
        var putsFailed = await _output.StepAsync($"Liaa run {run}: {keys.Length} puts, one at a time", async progress =>
        {
            var failed = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                var begun = TimeProvider.System.GetTimestamp();
                var result = await putter.PutAsync(keys[i], value, cancellationToken).ConfigureAwait(false);
                puts.Add(TimeProvider.System.GetElapsedTime(begun));
                failed += result.StoredAt > 0 ? 0 : 1;
                progress.Report((i + 1.0) / keys.Length);
            }

            return failed;
        }).ConfigureAwait(false);
        if (profile is not null)
        {
            profile.Dispose();
            foreach (var line in profile.Describe())
            {
                _output.Line(line);
            }
        }

        var gets = new LatencySample();
        var found = await _output.StepAsync($"Liaa run {run}: {keys.Length} gets, one at a time", async progress =>
        {
            var hits = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                var begun = TimeProvider.System.GetTimestamp();
                var result = await getter.GetAsync(keys[i], cancellationToken).ConfigureAwait(false);
                gets.Add(TimeProvider.System.GetElapsedTime(begun));
                hits += value.Equals(result.Value) ? 1 : 0;
                progress.Report((i + 1.0) / keys.Length);
            }

            return hits;
        }).ConfigureAwait(false);

        var bulk = Enumerable.Range(0, _options.ThroughputOperations).Select(i => NodeId.FromKey($"{prefix}-bulk-{i}")).ToArray();
        var putRate = await _output.StepAsync($"Liaa run {run}: {bulk.Length} puts, {_options.InFlight} in flight", progress =>
            ConcurrentlyAsync(bulk.Length, _options.InFlight, progress, async i =>
            {
                var result = await putter.PutAsync(bulk[i], value, cancellationToken).ConfigureAwait(false);
                return result.StoredAt > 0;
            })).ConfigureAwait(false);
        var getRate = await _output.StepAsync($"Liaa run {run}: {bulk.Length} gets, {_options.InFlight} in flight", progress =>
            ConcurrentlyAsync(bulk.Length, _options.InFlight, progress, async i =>
            {
                var result = await getter.GetAsync(bulk[i], cancellationToken).ConfigureAwait(false);
                return value.Equals(result.Value);
            })).ConfigureAwait(false);

        return new ClusterFigures(
            "Liaa", _options.Nodes, puts, putsFailed, gets, found, putRate.PerSecond, getRate.PerSecond,
            getRate.Succeeded, bulk.Length, cluster.TimesToKnowPeers(), startTime, cluster.MeanWorkingSet(), cluster.TimeToAllKnowPeers(), cluster.MeanCpuToPeers());
    }

    private IReadOnlyDictionary<string, string> NodeEnvironment()
    {
        var environment = new Dictionary<string, string>(_options.NodeEnvironment, StringComparer.Ordinal);
        if (_options.K is { } k)
        {
            environment["Liaa__Kademlia__K"] = k.ToString(CultureInfo.InvariantCulture);
        }

        return environment;
    }

    /// <summary>How the bench putter's puts end, as configured (the node's defaults unless set).</summary>
    private string DescribePut()
    {
        var defaults = new StorageOptions();
        var acks = _options.PutAcknowledgements is { } set ? (set == 0 ? null : set) : defaults.PutAcknowledgements;
        var converge = _options.PutStoresAtConvergence ?? defaults.PutStoresAtConvergence;
        var reuse = _options.PutLookupReuse ?? defaults.PutLookupReuse;
        return $"put returns after {(acks is { } n ? $"{n} acknowledgements" : "all k acknowledged")}, "
            + (converge ? "its lookup ends at convergence and the STOREs are its final step" : "after a full lookup")
            + (converge && reuse > 0 ? $", no lookup when one of the putter's last {reuse} put lookups (10 s) covers the key" : "");
    }

    private static async Task<LiaaNode> StartClientAsync(IPEndPoint seed, int? k, int? putAcknowledgements, bool? putStoresAtConvergence, int? putLookupReuse, CancellationToken cancellationToken)
    {
        var options = new LiaaNodeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), ClientMode = true };
        if (putAcknowledgements is { } acks)
        {
            options.Storage.PutAcknowledgements = acks == 0 ? null : acks;
        }

        if (putStoresAtConvergence is { } converge)
        {
            options.Storage.PutStoresAtConvergence = converge;
        }

        if (putLookupReuse is { } reuse)
        {
            options.Storage.PutLookupReuse = reuse;
        }

        if (k is { } size)
        {
            options.Kademlia.K = size;
        }

        var node = await LiaaNode.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
        var join = await node.BootstrapAsync([seed], cancellationToken).ConfigureAwait(false);
        if (!join.IsJoined)
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"the bench client could not join through {seed}");
        }

        return node;
    }

    /// <summary>Runs <paramref name="count"/> operations with <paramref name="inFlight"/> outstanding: operations per second and how many succeeded.</summary>
    private static async Task<(double PerSecond, int Succeeded)> ConcurrentlyAsync(int count, int inFlight, BenchProgress progress, Func<int, Task<bool>> operation)
    {
        var next = -1;
        var succeeded = 0;
        var started = TimeProvider.System.GetTimestamp();
        var workers = Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (true)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= count)
                {
                    return;
                }

                if (await operation(index).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref succeeded);
                }

                if ((index & 31) == 0)
                {
                    progress.Report((double)index / count);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (count / TimeProvider.System.GetElapsedTime(started).TotalSeconds, succeeded);
    }

    private async Task<List<ClusterFigures>> RunOpenDhtAsync(string python, string script, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var cluster = await _output.StepAsync($"OpenDHT: starting {_options.Nodes} node processes", progress =>
            ProcessCluster.StartOpenDhtAsync(_options.Nodes, python, script, progress, cancellationToken)).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            var startTime = TimeProvider.System.GetElapsedTime(started);
            await _output.StepAsync($"OpenDHT: every node to know {ProcessCluster.PeersWanted} live peers", progress =>
                cluster.WaitForPeersAsync(_options.PeersTimeout, progress, cancellationToken)).ConfigureAwait(false);

            var runs = new List<ClusterFigures>();
            for (var run = 1; run <= _options.Runs; run++)
            {
                runs.Add(await MeasureOpenDhtAsync(python, script, run, cluster, startTime, cancellationToken).ConfigureAwait(false));
            }

            return runs;
        }
    }

    private async Task<ClusterFigures> MeasureOpenDhtAsync(string python, string script, int run, ProcessCluster cluster, TimeSpan startTime, CancellationToken cancellationToken)
    {
        var result = await _output.StepAsync($"OpenDHT run {run}: the same workload ({_options.Operations} + {_options.Operations} one at a time, {_options.ThroughputOperations} + {_options.ThroughputOperations} with {_options.InFlight} in flight)", async _ =>
        {
            string[] arguments =
            [
                script, "workload", "--bootstrap", cluster.Seed.ToString(), "--nodes", _options.Nodes.ToString(CultureInfo.InvariantCulture),
                "--ops", _options.Operations.ToString(CultureInfo.InvariantCulture),
                "--throughput-ops", _options.ThroughputOperations.ToString(CultureInfo.InvariantCulture),
                "--in-flight", _options.InFlight.ToString(CultureInfo.InvariantCulture),
                "--size", _options.ValueBytes.ToString(CultureInfo.InvariantCulture),
                "--warmup", _options.OpenDhtWarmup.ToString(CultureInfo.InvariantCulture),
            ];
            var workload = ChildProcess.Start(python, arguments);
            await using var workloadScope = workload.ConfigureAwait(false);
            var (match, _) = await workload.WaitForLineAsync(ResultLine(), TimeSpan.FromMinutes(15), cancellationToken).ConfigureAwait(false);
            return JsonDocument.Parse(match.Groups["json"].Value);
        }).ConfigureAwait(false);

        using (result)
        {
            var root = result.RootElement;
            var puts = new LatencySample();
            foreach (var ms in root.GetProperty("put_ms").EnumerateArray())
            {
                puts.AddMilliseconds(ms.GetDouble());
            }

            var gets = new LatencySample();
            foreach (var ms in root.GetProperty("get_ms").EnumerateArray())
            {
                gets.AddMilliseconds(ms.GetDouble());
            }

            return new ClusterFigures(
                "OpenDHT", _options.Nodes, puts, root.GetProperty("put_failed").GetInt32(), gets, root.GetProperty("found").GetInt32(),
                root.GetProperty("put_per_s").GetDouble(), root.GetProperty("get_per_s").GetDouble(),
                root.GetProperty("bulk_found").GetInt32(), root.GetProperty("bulk").GetInt32(),
                cluster.TimesToKnowPeers(), startTime, cluster.MeanWorkingSet(), cluster.TimeToAllKnowPeers(), cluster.MeanCpuToPeers());
        }
    }

    /// <summary>
    /// Debian's python3 with the opendht module (the first of <paramref name="interpreters"/> that imports it), and the
    /// driver script next to this assembly; or why OpenDHT cannot run.
    /// </summary>
    internal static async Task<((string Python, string Script)? Found, string Absent)> FindOpenDhtAsync(IReadOnlyList<string> interpreters, CancellationToken cancellationToken)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Bench", "opendht_bench.py");
        if (!File.Exists(script))
        {
            return (null, $"its driver script is missing ({script}); build Liaa.Bench again");
        }

        // Debian's module is built for the system interpreter; a python3 earlier on PATH may lack it.
        foreach (var python in interpreters)
        {
            if (python.StartsWith('/') && !File.Exists(python))
            {
                continue;
            }

            try
            {
                var (exitCode, _, _) = await ChildProcess.RunAsync(python, ["-c", "import opendht"], string.Empty, TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
                if (exitCode == 0)
                {
                    return ((python, script), string.Empty);
                }
            }
            catch (TimeoutException)
            {
                // An interpreter that cannot even import within the bound is no peer to measure.
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No such interpreter.
            }
        }

        return (null, $"no python3 that imports opendht ({string.Join(", ", interpreters)} tried); on Debian or Ubuntu: sudo apt-get install python3-opendht");
    }

    private static byte[] Payload(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i * 7 % 256);
        }

        return bytes;
    }

    private void Print(List<ClusterFigures> results, string? openDhtAbsent)
    {
        var systems = results.GroupBy(r => r.System).Select(g => g.ToList()).ToList();
        _output.Table(
            $"Put/get over {_options.Nodes} node processes ({_options.Operations} one at a time; {_options.ThroughputOperations} with {_options.InFlight} in flight; {_options.ValueBytes}-byte values): median of {_options.Runs} run(s) (min–max)",
            ["system", "put p50", "put p99", "get p50", "get p99", "puts/s", "gets/s", "gets found", "know 8 peers p50", "know 8 peers max", "memory/node", "start", "ready", "start CPU/node"],
            systems.Select(runs => (IReadOnlyList<string>)[
                runs[0].System,
                Spread(runs, r => r.Puts.Percentile(50), Ms),
                Spread(runs, r => r.Puts.Percentile(99), Ms),
                Spread(runs, r => r.Gets.Percentile(50), Ms),
                Spread(runs, r => r.Gets.Percentile(99), Ms),
                Spread(runs, r => r.PutsPerSecond, v => BenchOutput.Number(v)),
                Spread(runs, r => r.GetsPerSecond, v => BenchOutput.Number(v)),
                $"{runs.Sum(r => r.GetsFound + r.BulkGetsFound)}/{runs.Sum(r => r.Gets.Count + r.BulkGets)}",
                PeersFigure(runs[0].TimesToKnowPeers, 50),
                PeersFigure(runs[0].TimesToKnowPeers, 100),
                $"{runs[0].MeanWorkingSetBytes / 1048576:F0} MB",
                $"{runs[0].StartTime.TotalSeconds:F0} s",
                runs[0].ReadyTime is { } ready ? $"{ready.TotalSeconds:F1} s" : "never",
                runs[0].StartCpuPerNode is { } cpu ? $"{cpu.TotalSeconds:F2} s" : "-",
            ]));

        var liaaRuns = results.Where(r => r.System == "Liaa").ToList();
        if (liaaRuns.Count == 0)
        {
            _output.Line($"OpenDHT only{(openDhtAbsent is null ? string.Empty : ": " + openDhtAbsent)}.");
            _output.Line($"at end: {MachineInfo.Load()}");
            return;
        }

        var openRuns = results.Where(r => r.System == "OpenDHT").ToList();
        if (openRuns.Count > 0)
        {
            // Each ratio compares the median Liaa run with the median OpenDHT run of the same figure.
            double Median(List<ClusterFigures> runs, Func<ClusterFigures, double> figure) => MedianOf(runs.Select(figure));
            _output.Table(
                "Liaa / OpenDHT, median against median (latency: lower is better; throughput: higher is better); goals of issue 15"
                + (_options.K is { } k && k != 20 ? $" (stated for k = 20: with k = {k} the goals are not what this run measured)" : string.Empty),
                ["figure", "ratio", "goal", "met"],
                [
                    Ratio("put p50", Median(liaaRuns, r => r.Puts.Percentile(50)), Median(openRuns, r => r.Puts.Percentile(50)), 1.0, lowerIsBetter: true),
                    Ratio("put p99", Median(liaaRuns, r => r.Puts.Percentile(99)), Median(openRuns, r => r.Puts.Percentile(99)), 2.0, lowerIsBetter: true),
                    Ratio("puts/s", Median(liaaRuns, r => r.PutsPerSecond), Median(openRuns, r => r.PutsPerSecond), 1.5, lowerIsBetter: false),
                    Ratio("get p50", Median(liaaRuns, r => r.Gets.Percentile(50)), Median(openRuns, r => r.Gets.Percentile(50)), 0.7, lowerIsBetter: true),
                    Ratio("get p99", Median(liaaRuns, r => r.Gets.Percentile(99)), Median(openRuns, r => r.Gets.Percentile(99)), 1.0, lowerIsBetter: true),
                    Ratio("gets/s", Median(liaaRuns, r => r.GetsPerSecond), Median(openRuns, r => r.GetsPerSecond), 1.5, lowerIsBetter: false),
                ]);
        }
        else
        {
            _output.Line($"OpenDHT: {openDhtAbsent}; Liaa's figures only.");
        }

        var liaa = liaaRuns[0];
        PrintFreshStarts();
        var ready = liaa.ReadyTime is { } readyTime ? $"{readyTime.TotalSeconds:F1} s" : $"not within {_options.PeersTimeout.TotalSeconds:F0} s of the last start";
        _output.Line(_options.Nodes >= 100
            ? $"goal: {_options.Nodes} node processes started and every one knowing {ProcessCluster.PeersWanted} live peers within 20 s of the first start: {(liaa.ReadyTime is { } r && r <= TimeSpan.FromSeconds(20) ? "met" : "NOT met")} ({ready})"
            : $"{_options.Nodes} node processes started and every one knowing {ProcessCluster.PeersWanted} live peers: {ready} after the first start (the goal, 20 s, is for 100 nodes)");
        var found = liaaRuns.Sum(r => r.GetsFound);
        var asked = liaaRuns.Sum(r => r.Gets.Count);
        var bulkFound = liaaRuns.Sum(r => r.BulkGetsFound);
        var bulk = liaaRuns.Sum(r => r.BulkGets);
        _output.Line($"goal: 100 % of gets found: {(found == asked && bulkFound == bulk ? "met" : "NOT met")} ({BenchOutput.Percent((double)found / Math.Max(1, asked))} one at a time, {bulkFound}/{bulk} in flight)");
        _output.Line($"at end: {MachineInfo.Load()}");
    }

    /// <summary>
    /// Each fresh cluster's worst node (and its median node), the median of the worst with the spread, the goal (every
    /// node of every fresh cluster within 1 s), and what the slowest nodes went through.
    /// </summary>
    private void PrintFreshStarts()
    {
        if (_freshStarts.Count == 0)
        {
            return;
        }

        _output.Table(
            $"Fresh clusters of {_options.Nodes} Liaa nodes: how soon each node knew {ProcessCluster.PeersWanted} live peers, counted from its start line "
            + $"(\"listening\") or, for the first {ProcessCluster.PeersWanted}, from the start line of the {ProcessCluster.PeersWanted + 1}th node",
            ["cluster", "worst node", "median node", "all ready after the first start", "load at start", "load at end"],
            _freshStarts.Select(f => (IReadOnlyList<string>)[
                f.Run.ToString(CultureInfo.InvariantCulture),
                PeersFigure(f.TimesToKnowPeers, 100),
                PeersFigure(f.TimesToKnowPeers, 50),
                f.ReadyTime is { } ready ? $"{ready.TotalSeconds:F1} s" : "never",
                f.LoadAtStart.Replace("load average ", string.Empty, StringComparison.Ordinal),
                f.LoadAtEnd.Replace("load average ", string.Empty, StringComparison.Ordinal),
            ]));
        var worst = _freshStarts.Select(f => f.Worst?.TotalMilliseconds ?? double.PositiveInfinity).ToArray();
        var allKnow = _freshStarts.All(f => f.Worst is { } w && w <= TimeSpan.FromSeconds(1));
        _output.Line(
            $"goal: every node of a fresh cluster knows {ProcessCluster.PeersWanted} live peers within 1 s, every run: {(allKnow ? "met" : "NOT met")} "
            + $"(worst node over {_freshStarts.Count} fresh cluster(s): median {Ms(MedianOf(worst))}, {Ms(worst.Min())}–{Ms(worst.Max())})");
        foreach (var fresh in _freshStarts)
        {
            if (fresh.Phases is { } phases)
            {
                _output.Line($"  cluster {fresh.Run}, {phases}");
            }

            foreach (var line in fresh.Slowest)
            {
                _output.Line($"  cluster {fresh.Run}, {line}");
            }
        }
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The median run's figure, then the min–max over the runs when there are several.</summary>
    private static string Spread(List<ClusterFigures> runs, Func<ClusterFigures, double> figure, Func<double, string> format)
    {
        var values = runs.Select(figure).ToArray();
        var median = format(MedianOf(values));
        return values.Length < 2 ? median : $"{median} ({format(values.Min())}–{format(values.Max())})";
    }

    private static IReadOnlyList<string> Ratio(string name, double liaa, double openDht, double goal, bool lowerIsBetter)
    {
        var ratio = liaa / openDht;
        var met = lowerIsBetter ? ratio <= goal : ratio >= goal;
        return [name, BenchOutput.Number(ratio, 2), (lowerIsBetter ? "<= " : ">= ") + goal.ToString("0.0#", CultureInfo.InvariantCulture), met ? "yes" : "NO"];
    }

    private static string Ms(double milliseconds) =>
        double.IsNaN(milliseconds) ? "-" : double.IsPositiveInfinity(milliseconds) ? "never" : milliseconds.ToString(milliseconds < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) + " ms";

    private static string PeersFigure(IReadOnlyList<TimeSpan?> times, double percentile)
    {
        if (times.Any(t => t is null) && percentile >= 100)
        {
            return "never";
        }

        var sample = new LatencySample();
        foreach (var time in times)
        {
            sample.AddMilliseconds(time is { } t ? t.TotalMilliseconds : double.PositiveInfinity);
        }

        var value = sample.Percentile(percentile);
        return double.IsPositiveInfinity(value) ? "never" : Ms(value);
    }

    [GeneratedRegex(@"^RESULT (?<json>\{.*\})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ResultLine();
}

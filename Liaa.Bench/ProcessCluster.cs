using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Liaa.Node.Simulation;

namespace Liaa.Node.Bench;

/// <summary>When a node was first seen knowing the wanted number of live peers (a <see cref="TimeProvider.System"/> timestamp; 0 until then).</summary>
internal sealed class PeersReached
{
    private readonly List<(long At, int Contacts)> _seen = [];
    private long _at;
    private long _joinedAt;
    private long _cpuTicks = -1;

    public long At => Interlocked.Read(ref _at);

    /// <summary>When the node was first seen joined (its join's lookup and refresh done; Liaa nodes only); 0 until then.</summary>
    public long JoinedAt => Interlocked.Read(ref _joinedAt);

    /// <summary>Each routing table size seen that differed from the one before, with when (Liaa nodes only).</summary>
    public IReadOnlyList<(long At, int Contacts)> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public void MarkJoined(long at) => Interlocked.CompareExchange(ref _joinedAt, at, 0);

    public void MarkSeen(long at, int contacts)
    {
        lock (_seen)
        {
            if (_seen.Count == 0 || _seen[^1].Contacts != contacts)
            {
                _seen.Add((at, contacts));
            }
        }
    }

    /// <summary>CPU time the process had used when it was first seen knowing the peers; null until then or when unknown.</summary>
    public TimeSpan? Cpu => Interlocked.Read(ref _cpuTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>Where <see cref="Mark"/> reads the process's CPU time from (set once the process exists).</summary>
    public Func<TimeSpan?>? CpuSource { get; set; }

    public void Mark(long at)
    {
        if (Interlocked.CompareExchange(ref _at, at, 0) == 0 && CpuSource?.Invoke() is { } cpu)
        {
            Interlocked.Exchange(ref _cpuTicks, cpu.Ticks);
        }
    }
}

/// <summary>One node process of a benchmark cluster.</summary>
internal sealed class ClusterMember(int index, ChildProcess process, string id, IPEndPoint udp, string? http, long spawnedAt, long startedAt, PeersReached peers)
{
    /// <summary>Its place in the start order (0: the seed).</summary>
    public int Index { get; } = index;

    public ChildProcess Process { get; } = process;

    /// <summary>When its process was started (a <see cref="TimeProvider.System"/> timestamp).</summary>
    public long SpawnedAt { get; } = spawnedAt;

    public string Id { get; } = id;

    public IPEndPoint Udp { get; } = udp;

    /// <summary>The HTTP API (Liaa nodes only).</summary>
    public string? Http { get; } = http;

    /// <summary>When its start line arrived (a <see cref="TimeProvider.System"/> timestamp).</summary>
    public long StartedAt { get; } = startedAt;

    /// <summary>When it was first seen knowing <see cref="ProcessCluster.PeersWanted"/> live peers; 0 until then.</summary>
    public long ReachedPeersAt => Peers.At;

    /// <summary>CPU time (user and system) the process had used when it knew <see cref="ProcessCluster.PeersWanted"/> live peers.</summary>
    public TimeSpan? CpuToPeers => Peers.Cpu;

    public PeersReached Peers { get; } = peers;

    public void MarkReachedPeers(long at) => Peers.Mark(at);
}

/// <summary>
/// A loopback cluster of node processes, Liaa's (<c>Liaa.Node.dll serve</c>) or OpenDHT's (one
/// <c>DhtRunner</c> per Python process, <c>opendht_bench.py node</c>): node 0 first, then the others
/// a few at a time, each through node 0; every member is watched until it knows
/// <see cref="PeersWanted"/> live peers. Disposing kills every process by PID, bounded.
/// </summary>
/// <remarks>
/// How a member's peers are seen: a Liaa node prints the end of its join and of each of its steps, and each contact
/// its routing table adds, with the table's size then (log lines, <c>Liaa.Node.Join</c> and <c>Liaa.Node.Routing</c>
/// at Debug), so every growth of its table is seen, during its join and after (a contact enters a Liaa routing table
/// only once it has answered or sent a well-formed message, so every one is live). Only a member whose lines showed
/// no routing table size within <see cref="PollFallbackAfter"/> of its start line (a node build that prints none) is
/// polled on <c>GET /v1/node</c> (its <c>contacts</c>, the size of its routing table) every
/// <see cref="PollIntervalFor"/> the cluster's size; whichever first shows 8 counts. Polling every member from its
/// start line cost each node its first HTTP request while it joined (~70 ms of CPU in a composite node: 7 s of the
/// two cores' time at 100 nodes), and on a loaded machine the poll's answer came seconds after the node had joined
/// with 12 contacts. An OpenDHT node prints the number of <c>[good]</c> nodes of its own routing table whenever it
/// changes. The polls together stay under <see cref="MaxPollsPerSecond"/>: at 100 nodes, polling each every
/// 25 ms was 4,000 HTTP requests a second on the two cores the nodes were starting on.
/// </remarks>
internal sealed partial class ProcessCluster : IAsyncDisposable
{
    public const int PeersWanted = 8;

    /// <summary>The most polls of nodes' routing tables per second, all members together.</summary>
    public const int MaxPollsPerSecond = 400;

    /// <summary>How long after its start line a Liaa member's own lines have to show its routing table before it is polled as well.</summary>
    public static readonly TimeSpan PollFallbackAfter = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<ClusterMember> _members = [];
    private readonly List<ChildProcess> _processes = [];
    private readonly List<Task> _watchers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private int _expected = 1;
    private long _startedAt;
    private TimeSpan _benchCpuAtStart;

    internal ProcessCluster(string system)
    {
        System = system;
    }

    public string System { get; }

    public IReadOnlyList<ClusterMember> Members => _members;

    public IPEndPoint Seed => _members[0].Udp;

    /// <summary>Starts <paramref name="count"/> Liaa node processes from this very build.</summary>
    public static Task<ProcessCluster> StartLiaaAsync(int count, IReadOnlyDictionary<string, string> extraEnvironment, string? nodeExecutable, BenchProgress progress, CancellationToken cancellationToken)
    {
        var cluster = new ProcessCluster("Liaa");
        var host = nodeExecutable ?? DotnetHost();
        string[] program = nodeExecutable is null ? [NodeAssembly()] : [];
        var environment = new Dictionary<string, string?>
        {
            // Console logging of every join and put would be measured too; OpenDHT's nodes log nothing either. The node's
            // own lines (category Liaa.Node) at Information, its start and its join's end, each step of its join
            // (Liaa.Node.Join, Debug) and each contact its routing table adds (Liaa.Node.Routing, Debug), with the table's
            // size then: a node says when it knew 8 peers, as OpenDHT's do. Nothing there is logged per request.
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Liaa.Node"] = "Information",
            ["Logging__LogLevel__Liaa.Node.Join"] = "Debug",
            ["Logging__LogLevel__Liaa.Node.Routing"] = "Debug",

            // Rate limits off, as OpenDHT's perftest runs its nodes: the bench's one putter is one source
            // storing hundreds of values a second at every node, above the default 200 STOREs/s per source.
            ["Liaa__Transport__RequestRatePerSource"] = "0",
            ["Liaa__Transport__StoreRatePerSource"] = "0",
        };
        foreach (var (name, value) in extraEnvironment)
        {
            environment[name] = value;
        }

        return cluster.StartAsync(count, progress, index =>
        {
            var arguments = new List<string>(program) { "serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--name", $"bench-{index}" };
            if (index > 0)
            {
                arguments.AddRange(["--seed", cluster.Seed.ToString()]);
            }

            // The join's end is printed by the node itself, with its routing table's size; the flag exists before the process.
            var peers = new PeersReached();
            var process = ChildProcess.Start(host, arguments, environment, onLine: (line, at) =>
            {
                if (LiaaContactsLine().Match(line) is { Success: true } match)
                {
                    var contacts = int.Parse(match.Groups["count"].Value, global::System.Globalization.CultureInfo.InvariantCulture);
                    if (line.Contains("Joined through", StringComparison.Ordinal))
                    {
                        peers.MarkJoined(at);
                    }

                    peers.MarkSeen(at, contacts);
                    if (contacts >= PeersWanted)
                    {
                        peers.Mark(at);
                    }
                }
            });
            return (process, peers);
        }, LiaaStartLine(), cancellationToken);
    }

    /// <summary>Starts <paramref name="count"/> OpenDHT nodes (Debian's python3-opendht, rate limits off).</summary>
    public static Task<ProcessCluster> StartOpenDhtAsync(int count, string python, string script, BenchProgress progress, CancellationToken cancellationToken)
    {
        var cluster = new ProcessCluster("OpenDHT");
        return cluster.StartAsync(count, progress, index =>
        {
            var arguments = new List<string> { script, "node", "--peers", PeersWanted.ToString(global::System.Globalization.CultureInfo.InvariantCulture) };
            if (index > 0)
            {
                arguments.AddRange(["--bootstrap", cluster.Seed.ToString()]);
            }

            // The count is printed by the node itself; the flag exists before the process, so no line is missed.
            var peers = new PeersReached();
            var process = ChildProcess.Start(python, arguments, onLine: (line, at) =>
            {
                if (PeersLine().Match(line) is { Success: true } match
                    && int.Parse(match.Groups["count"].Value, global::System.Globalization.CultureInfo.InvariantCulture) >= PeersWanted)
                {
                    peers.Mark(at);
                }
            });
            return (process, peers);
        }, OpenDhtStartLine(), cancellationToken);
    }

    /// <summary>
    /// Starts <paramref name="count"/> members with <paramref name="start"/>, member 0 (the seed) first, and waits for each
    /// one's <paramref name="startLine"/>. The first member that fails to start (no start line within its bound, or it
    /// exited) ends the others' waits and starts no more: the cluster is disposed of (every process killed) and its error
    /// thrown, instead of waiting up to <see cref="StartTimeout"/> for each of the members still to start.
    /// </summary>
    internal async Task<ProcessCluster> StartAsync(int count, BenchProgress progress, Func<int, (ChildProcess Process, PeersReached Peers)> start, Regex startLine, CancellationToken cancellationToken)
    {
        _expected = count;
        _startedAt = TimeProvider.System.GetTimestamp();
        _benchCpuAtStart = global::System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await StartMemberAsync(0, start, startLine, cancellationToken).ConfigureAwait(false);
            progress.Report(1.0 / count, $"1/{count}");

            // A few at a time: on two cores, a hundred runtimes starting at once would mostly measure the scheduler.
            using var gate = new SemaphoreSlim(Math.Min(4, Environment.ProcessorCount * 2));
            var started = 1;
            var rest = Enumerable.Range(1, count - 1).Select(async index =>
            {
                await gate.WaitAsync(failed.Token).ConfigureAwait(false);
                try
                {
                    // A wait can get the gate after its token was cancelled (a member released it as it failed).
                    failed.Token.ThrowIfCancellationRequested();
                    await StartMemberAsync(index, start, startLine, failed.Token).ConfigureAwait(false);
                    var now = Interlocked.Increment(ref started);
                    progress.Report((double)now / count, $"{now}/{count}");
                }
                catch
                {
                    await failed.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    gate.Release();
                }
            }).ToArray();
            await Task.WhenAll(rest).ConfigureAwait(false);
            return this;
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartMemberAsync(int index, Func<int, (ChildProcess Process, PeersReached Peers)> start, Regex startLine, CancellationToken cancellationToken)
    {
        ChildProcess process;
        PeersReached peers;
        var spawnedAt = TimeProvider.System.GetTimestamp();
        lock (_processes)
        {
            (process, peers) = start(index);
            _processes.Add(process);
        }

        peers.CpuSource = process.CpuTime;

        var (match, at) = await process.WaitForLineAsync(startLine, StartTimeout, cancellationToken).ConfigureAwait(false);
        var http = match.Groups["http"].Success ? match.Groups["http"].Value : null;
        var member = new ClusterMember(index, process, match.Groups["id"].Value, IPEndPoint.Parse(match.Groups["udp"].Value), http, spawnedAt, at, peers);

        // Node 0 is awaited before any other starts, so it is always the first member (the seed).
        lock (_members)
        {
            _members.Add(member);
        }

        if (http is not null)
        {
            lock (_watchers)
            {
                _watchers.Add(WatchLiaaPeersAsync(member, _stopping.Token));
            }
        }
    }

    private async Task WatchLiaaPeersAsync(ClusterMember member, CancellationToken cancellationToken)
    {
        var url = member.Http!.TrimEnd('/') + "/v1/node";
        try
        {
            await Task.Delay(PollFallbackAfter, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            if (!NeedsPolling(member.Peers))
            {
                return;
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    using var node = await _http.GetFromJsonAsync<JsonDocument>(url, cancellationToken).ConfigureAwait(false);
                    var now = TimeProvider.System.GetTimestamp();
                    if (node is not null)
                    {
                        var contacts = node.RootElement.GetProperty("contacts").GetInt32();
                        member.Peers.MarkSeen(now, contacts);
                        if (node.RootElement.GetProperty("joined").GetBoolean())
                        {
                            member.Peers.MarkJoined(now);
                        }

                        if (contacts >= PeersWanted)
                        {
                            member.MarkReachedPeers(now);
                        }

                        // Watched on until joined too (its join's refresh may end after it knew 8), for the report of the slowest.
                        if (member.ReachedPeersAt != 0 && member.Peers.JoinedAt != 0)
                        {
                            return;
                        }
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or JsonException
                    || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // Not answering yet, or too busy to answer within the client's timeout: try again at the next tick.
                }

                await Task.Delay(PollIntervalFor(_expected), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Whether a member is polled on its HTTP API, <see cref="PollFallbackAfter"/> after its start line: only when its own
    /// lines have shown no routing table size (a node that prints its table's growth is watched by its lines alone).
    /// </summary>
    internal static bool NeedsPolling(PeersReached peers) => peers.Seen.Count == 0;

    /// <summary>How often each of <paramref name="members"/> nodes is polled: every 25 ms, or less often so that all polls stay under <see cref="MaxPollsPerSecond"/>.</summary>
    internal static TimeSpan PollIntervalFor(int members) =>
        TimeSpan.FromTicks(Math.Max(PollInterval.Ticks, TimeSpan.TicksPerSecond * Math.Max(1, members) / MaxPollsPerSecond));

    /// <summary>Waits until every member knows <see cref="PeersWanted"/> peers, at most <paramref name="timeout"/> after the last one started.</summary>
    public async Task WaitForPeersAsync(TimeSpan timeout, BenchProgress progress, CancellationToken cancellationToken)
    {
        var lastStart = _members.Max(m => m.StartedAt);
        var deadline = lastStart + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (TimeProvider.System.GetTimestamp() < deadline)
        {
            var reached = _members.Count(m => m.ReachedPeersAt != 0);
            progress.Report((double)reached / _members.Count, $"{reached}/{_members.Count} know {PeersWanted} peers");
            if (reached == _members.Count)
            {
                return;
            }

            await Task.Delay(PollInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// For each member, how long after 8 other live nodes first existed for it (its own start, or the
    /// 9th start of the cluster, whichever is later) it knew 8 of them; null when it never did.
    /// </summary>
    public IReadOnlyList<TimeSpan?> TimesToKnowPeers()
    {
        var starts = _members.Select(m => m.StartedAt).Order().ToArray();
        var enoughExist = starts[Math.Min(PeersWanted, starts.Length - 1)];
        return [.. _members.Select(m =>
        {
            if (m.ReachedPeersAt == 0)
            {
                return (TimeSpan?)null;
            }

            var from = Math.Max(m.StartedAt, enoughExist);
            return TimeSpan.FromSeconds(Math.Max(0, m.ReachedPeersAt - from) / (double)TimeProvider.System.TimestampFrequency);
        })];
    }

    /// <summary>
    /// What the <paramref name="count"/> members slowest to know <see cref="PeersWanted"/> peers (<see cref="TimesToKnowPeers"/>)
    /// went through, one line each, in seconds from the instant their time is counted from: their process's start, their
    /// start line, joined (the join's lookup of its own id and refresh done), the routing table sizes seen, 8 peers known.
    /// </summary>
    public IReadOnlyList<string> DescribeSlowest(int count)
    {
        var times = TimesToKnowPeers();
        var starts = _members.Select(m => m.StartedAt).Order().ToArray();
        var enoughExist = starts[Math.Min(PeersWanted, starts.Length - 1)];
        string At(long at, long from) => at == 0 ? "never" : (Math.Round(((double)at - from) / TimeProvider.System.TimestampFrequency, 3) + 0.0).ToString("+0.000;-0.000", global::System.Globalization.CultureInfo.InvariantCulture) + " s";
        return [.. _members.Select((m, i) => (Member: m, Time: times[i]))
            .OrderByDescending(x => x.Time ?? TimeSpan.MaxValue)
            .Take(count)
            .Select(x =>
            {
                var m = x.Member;
                var from = Math.Max(m.StartedAt, enoughExist);
                var seen = string.Join(", ", m.Peers.Seen.Select(s => $"{s.Contacts} at {At(s.At, from)}"));
                return $"node {m.Index} ({(from == m.StartedAt ? "counted from its start line" : "counted from the start line of the 9th node")}): "
                    + $"process started {At(m.SpawnedAt, from)}, start line {At(m.StartedAt, from)}, joined {At(m.Peers.JoinedAt, from)}, "
                    + $"{PeersWanted} peers {At(m.ReachedPeersAt, from)}; routing table sizes seen: {seen}";
            })];
    }

    /// <summary>
    /// From the first process started to the moment the last member knew <see cref="PeersWanted"/> live peers:
    /// the time a whole fresh cluster takes to be of use (issue 15's start-up goal); null when one never did.
    /// </summary>
    public TimeSpan? TimeToAllKnowPeers() => _members.Count == 0 || _members.Any(m => m.ReachedPeersAt == 0)
        ? null
        : TimeSpan.FromSeconds((_members.Max(m => m.ReachedPeersAt) - _startedAt) / (double)TimeProvider.System.TimestampFrequency);

    /// <summary>
    /// Mean CPU time (user and system) a member process used from its start until it knew <see cref="PeersWanted"/>
    /// live peers: the start-up cost that, times the cluster's size, the machine's cores must pay, and less
    /// sensitive to other load than the wall-clock figures. Null when no member's was read.
    /// </summary>
    public TimeSpan? MeanCpuToPeers() => _members.Select(m => m.CpuToPeers).OfType<TimeSpan>().ToArray() is { Length: > 0 } cpu
        ? TimeSpan.FromTicks((long)cpu.Average(t => t.Ticks))
        : null;

    /// <summary>
    /// Where a fresh cluster's start went, in one line, read once every member knew <see cref="PeersWanted"/> live peers
    /// (or the wait ended): when the last process was started, the last start line came and the last member knew its
    /// peers (seconds from the first start); the members' mean CPU time to know their peers and until now (the part
    /// of it on the runtime's tiered-compilation thread, Linux only), the seed's, and this process's own over the start.
    /// </summary>
    public string DescribeStart()
    {
        string At(long at) => ((at - _startedAt) / (double)TimeProvider.System.TimestampFrequency).ToString("F1", global::System.Globalization.CultureInfo.InvariantCulture) + " s";
        string Seconds(double seconds) => seconds.ToString("F3", global::System.Globalization.CultureInfo.InvariantCulture) + " s";
        var members = _members.OrderBy(m => m.Index).ToArray();
        if (members.Length == 0)
        {
            return "no member started";
        }

        var cpuNow = members.Select(m => m.Process.CpuTime()?.TotalSeconds).OfType<double>().ToArray();
        var tiered = members.Select(m => MachineInfo.ThreadCpu(m.Process.Pid, ".NET Tiered Com")).OfType<double>().ToArray();
        var reached = members.All(m => m.ReachedPeersAt != 0) ? At(members.Max(m => m.ReachedPeersAt)) : "never";
        var benchCpu = (global::System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _benchCpuAtStart).TotalSeconds;
        return $"start: last process started at {At(members.Max(m => m.SpawnedAt))}, last start line {At(members.Max(m => m.StartedAt))}, "
            + $"all knew {PeersWanted} peers {reached}; CPU per node to know its peers {(MeanCpuToPeers() is { } toPeers ? Seconds(toPeers.TotalSeconds) : "?")}, "
            + $"until all knew theirs {(cpuNow.Length > 0 ? Seconds(cpuNow.Average()) : "?")}"
            + (tiered.Length > 0 ? $" (tiered compilation {Seconds(tiered.Average())})" : string.Empty)
            + $"; seed {(members[0].Process.CpuTime() is { } seed ? Seconds(seed.TotalSeconds) : "?")}; bench {Seconds(benchCpu)}";
    }

    /// <summary>Mean resident memory of the member processes.</summary>
    public double MeanWorkingSet() => _members.Average(m => (double)m.Process.WorkingSet());

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        ChildProcess[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        // All at once, by PID: a node starts no process of its own, and disposing each in turn walked the process table
        // once a node (the last of 20 died seconds after the first on a loaded machine).
        foreach (var process in processes)
        {
            process.KillByPid();
        }

        await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        Task[] watchers;
        lock (_watchers)
        {
            watchers = [.. _watchers];
        }

        // Each watcher ends on its own or at cancellation; none may fail the disposal.
        await Task.WhenAll(watchers).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _http.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// The node to start: Liaa.Node.dll in Liaa.Node's own build output (the folder the AppHost runs, whose
    /// assemblies are all ReadyToRun-compiled: build/ReadyToRun.targets), recorded in this assembly at build
    /// time; else the copy beside this bench (the bench moved elsewhere), whose package assemblies are IL.
    /// </summary>
    internal static string NodeAssembly()
    {
        var output = typeof(ProcessCluster).Assembly.GetCustomAttributes(typeof(global::System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .Cast<global::System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LiaaNodeOutput")?.Value;
        var built = output is null ? null : Path.Combine(output, "Liaa.Node.dll");
        return built is not null && File.Exists(built) ? built : typeof(LiaaNode).Assembly.Location;
    }

    /// <summary>Liaa.Node's project file, as this build recorded it (<c>--node-build aot</c> publishes it).</summary>
    internal static string NodeProject() =>
        typeof(ProcessCluster).Assembly.GetCustomAttributes(typeof(global::System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .Cast<global::System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LiaaNodeProject")?.Value
        ?? throw new InvalidOperationException("This Liaa.Bench build does not know where Liaa.Node's project is.");

    /// <summary>The <c>dotnet</c> executable running this process, else the one on PATH.</summary>
    public static string DotnetHost()
    {
        var processPath = Environment.ProcessPath;
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            return processPath;
        }

        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(hostPath) && File.Exists(hostPath) ? hostPath : "dotnet";
    }

    [GeneratedRegex(@"^Liaa node (?<id>[0-9a-fA-F]+) listening on udp (?<udp>\S+) http (?<http>\S+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex LiaaStartLine();

    /// <summary>The end of a join (<c>Joined through 1 of 1 seeds; routing table holds 12 contacts</c>) or of one of its steps, or a contact added.</summary>
    [GeneratedRegex(@"(Joined through \d+ of \d+ seeds|Join: [a-z ]+|Added contact \S+ at \S+); routing table holds (?<count>\d+) contacts\s*$", RegexOptions.CultureInvariant)]
    internal static partial Regex LiaaContactsLine();

    [GeneratedRegex(@"^OpenDHT node (?<id>[0-9a-fA-F]+) listening on udp (?<udp>\S+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex OpenDhtStartLine();

    [GeneratedRegex(@"^peers (?<count>\d+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex PeersLine();
}

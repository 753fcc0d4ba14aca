using System.Net;
using Liaa.AppHost.Orchestration.Prometheus;
using Liaa.AppHost.Otlp;
using Microsoft.Extensions.Logging.Abstractions;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// A local Liaa cluster: a seed (<c>node-0</c>) and more nodes, each its own <c>Liaa.Node</c>
/// process wired to the seed, supervised, and optionally scraped by Prometheus. Used by the AppHost's
/// <c>Program.cs</c>, by the dashboard, and by the tests, in the spirit of Aspire's testing builder:
/// <code>
/// await using var cluster = await LiaaCluster.StartAsync(nodes: 8, new LiaaClusterOptions { SeedPort = 0 }, ct);
/// await cluster.KillNodeAsync("node-3", ct);
/// await cluster.RestartNodeAsync("node-3", ct);
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// Start-up launches the seed and waits for its <c>/health</c>, then launches all the others at once
/// (their start-up is dominated by the .NET runtime and JIT, which overlap well) and waits until every
/// one is healthy. Nodes that crash are reported through <see cref="NodeChanged"/> (state
/// <see cref="NodeState.Crashed"/>, exit code, console log kept) and restarted only when
/// <see cref="LiaaClusterOptions.RestartPolicy"/> says so.
/// </para>
/// <para>
/// <see cref="DisposeAsync"/> stops every node gracefully in parallel (SIGTERM, then SIGKILL after
/// <see cref="LiaaClusterOptions.StopTimeout"/>) and kills by pid anything still running after that.
/// If the AppHost process dies without disposing, the nodes still end: their standard input closes
/// and their ParentWatcher exits them.
/// </para>
/// </remarks>
public sealed class LiaaCluster : IAsyncDisposable
{
    private const int NotStartedPhase = 0;
    private const int StartedPhase = 1;
    private const int DisposedPhase = 2;
    private const string WorkDirectoryPrefix = "liaa-apphost-";

    private readonly Lock _gate = new();
    private readonly List<NodeSupervisor> _supervisors = [];
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly int _initialNodes;
    private PrometheusServer? _prometheus;
    private OtlpReceiverHost? _receiver;
    private ClusterTelemetry? _ownTelemetry;
    private string? _workDirectory;
    private bool _ownsWorkDirectory;
    private int _phase;
    private int _nextIndex;
    private volatile bool _shuttingDown;

    /// <summary>Prepares a cluster (nothing runs until <see cref="StartAsync(CancellationToken)"/>).</summary>
    /// <exception cref="ArgumentException">The options are invalid; every problem is named.</exception>
    /// <exception cref="FileNotFoundException">Liaa.Node could not be found.</exception>
    public LiaaCluster(LiaaClusterOptions? options = null)
    {
        Options = options ?? new LiaaClusterOptions();
        var problems = Options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid cluster options: " + string.Join(" ", problems), nameof(options));
        }

        _initialNodes = Options.Nodes;
        Program = Options.Program ?? NodeProgram.Resolve(Options.NodePath);
        TimeProvider = Options.TimeProvider;
        Logger = (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Liaa.AppHost.Orchestration");
        Probe = new NodeProbe(TimeProvider);
        PrometheusConsoleLog = new ConsoleLog(Options.ConsoleLogCapacity, TimeProvider);
    }

    /// <summary>Raised after any change to a node (state, pid, id, endpoints, restart count), on the thread that made it.</summary>
    public event EventHandler<NodeChangedEventArgs>? NodeChanged;

    /// <summary>Raised when a node resource is declared (at start-up and by <see cref="AddNodeAsync"/>), before it is launched.</summary>
    public event EventHandler<ClusterNode>? NodeAdded;

    /// <summary>Raised when <see cref="RemoveNodeAsync"/> has stopped and removed a node.</summary>
    public event EventHandler<ClusterNode>? NodeRemoved;

    public LiaaClusterOptions Options { get; }

    /// <summary>How nodes are launched (resolved once, at construction).</summary>
    public NodeProgram Program { get; }

    /// <summary>
    /// The OTLP receiver the nodes export to: <see cref="LiaaClusterOptions.Telemetry"/> when given,
    /// else the cluster's own once started (see <see cref="LiaaClusterOptions.ReceiveTelemetry"/>), else null.
    /// </summary>
    public IClusterTelemetry? Telemetry => Options.Telemetry ?? _ownTelemetry;

    /// <summary>
    /// What the nodes' OTLP exporters sent (spans, metric points, logs; bounded, newest kept), when
    /// they export to a Liaa receiver (<see cref="Telemetry"/> is a <see cref="ClusterTelemetry"/>);
    /// null when they export elsewhere or nowhere.
    /// </summary>
    internal TelemetryStore? TelemetryStore => (Telemetry as ClusterTelemetry)?.Store;

    /// <summary>The nodes, in index order; a snapshot of the list (the nodes themselves are live).</summary>
    public IReadOnlyList<ClusterNode> Nodes
    {
        get
        {
            lock (_gate)
            {
                return _supervisors.Select(s => s.Node).ToList();
            }
        }
    }

    /// <summary>The node every other node joins through.</summary>
    public ClusterNode Seed => this["node-0"];

    /// <summary>The seed's UDP endpoint, what <c>get/put --seed</c> takes.</summary>
    public IPEndPoint? SeedEndpoint => Seed.UdpEndpoint;

    /// <summary>Prometheus's UI and API while it runs.</summary>
    public Uri? PrometheusUrl => _prometheus?.Url;

    /// <summary>The file-based discovery file Prometheus scrapes from, while it runs.</summary>
    public string? PrometheusTargetsPath => _prometheus?.TargetsPath;

    /// <summary>The pid of the process running Prometheus (its watchdog shell on Unix), while it runs.</summary>
    public int? PrometheusProcessId => _prometheus?.ProcessId;

    /// <summary>Prometheus's console output.</summary>
    public ConsoleLog PrometheusConsoleLog { get; }

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    internal NodeProbe Probe { get; }

    internal PortAllocator Ports { get; } = new();

    internal bool IsShuttingDown => _shuttingDown;

    /// <summary>The node named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such node.</exception>
    public ClusterNode this[string name] => Find(name).Node;

    /// <summary>Creates a cluster of <paramref name="nodes"/> nodes and starts it; disposes it if it cannot start.</summary>
    public static Task<LiaaCluster> StartAsync(int nodes, LiaaClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LiaaClusterOptions();
        options.Nodes = nodes;
        return StartAsync(options, cancellationToken);
    }

    /// <summary>Creates a cluster from <paramref name="options"/> and starts it; disposes it if it cannot start.</summary>
    public static async Task<LiaaCluster> StartAsync(LiaaClusterOptions options, CancellationToken cancellationToken = default)
    {
        var cluster = new LiaaCluster(options);
        try
        {
            await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public bool TryGetNode(string name, out ClusterNode? node)
    {
        lock (_gate)
        {
            node = _supervisors.FirstOrDefault(s => s.Node.Name == name)?.Node;
            return node is not null;
        }
    }

    /// <summary>
    /// Starts Prometheus (if configured) and the nodes: the seed first, then the rest in parallel.
    /// Returns when every node is healthy, bounded by <see cref="LiaaClusterOptions.StartTimeout"/>.
    /// </summary>
    /// <exception cref="NodeStartException">The seed did not start.</exception>
    /// <exception cref="AggregateException">Other nodes did not start; one <see cref="NodeStartException"/> each.</exception>
    /// <exception cref="TimeoutException">Not every node was healthy in time; the slow ones are named.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _phase, StartedPhase, NotStartedPhase) != NotStartedPhase)
        {
            throw new InvalidOperationException("The cluster was already started.");
        }

        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        using var start = StartToken(cancellationToken, out var timeout);
        var supervisors = Enumerable.Range(0, _initialNodes).Select(_ => Declare()).ToList();
        var prometheus = StartPrometheusAsync(start.Token);
        try
        {
            await StartOwnReceiverAsync(start.Token).ConfigureAwait(false);
            await supervisors[0].StartAsync(start.Token).ConfigureAwait(false);
            await StartAllAsync(supervisors.Skip(1).ToList(), start.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var slow = Nodes.Where(n => n.State != NodeState.Healthy).Select(n => $"{n.Name} ({n.State})");
            throw new TimeoutException($"Not every node was healthy within {Options.StartTimeout.TotalSeconds:0} s: {string.Join(", ", slow)}.");
        }
        finally
        {
            await prometheus.ConfigureAwait(false);
        }

        Track(MonitorHealthAsync(_lifetime.Token));
    }

    /// <summary>Declares a new node (<c>node-N</c>, N one past the highest so far), starts it and waits until it is healthy.</summary>
    public async Task<ClusterNode> AddNodeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotRunning();
        var supervisor = Declare();
        using var start = StartToken(cancellationToken, out _);
        await supervisor.StartAsync(start.Token).ConfigureAwait(false);
        return supervisor.Node;
    }

    /// <summary>Stops the node and removes it from the cluster. The seed cannot be removed (stop it instead).</summary>
    public async Task RemoveNodeAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfNotRunning();
        var supervisor = Find(name);
        if (supervisor.Node.IsSeed)
        {
            throw new InvalidOperationException("The seed cannot be removed; stop it instead.");
        }

        await supervisor.StopAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _supervisors.Remove(supervisor);
        }

        UpdatePrometheusTargets();
        Raise(NodeRemoved, supervisor.Node);
    }

    /// <summary>Starts a stopped or crashed node again and waits until it is healthy (a no-op wait when it runs).</summary>
    public async Task<ClusterNode> StartNodeAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfNotRunning();
        var supervisor = Find(name);
        using var start = StartToken(cancellationToken, out _);
        await supervisor.StartAsync(start.Token).ConfigureAwait(false);
        return supervisor.Node;
    }

    /// <summary>Stops a node gracefully (SIGTERM, kill after the stop timeout). Its state becomes <see cref="NodeState.Stopped"/>.</summary>
    public Task StopNodeAsync(string name, CancellationToken cancellationToken = default) =>
        Find(name).StopAsync(cancellationToken);

    /// <summary>Kills a node at once (SIGKILL). Its state becomes <see cref="NodeState.Stopped"/> with exit code 137.</summary>
    public Task KillNodeAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Find(name).KillAsync();
    }

    /// <summary>Stops the node if it runs, starts it again on the same ports when they are free, and waits until it is healthy.</summary>
    public async Task<ClusterNode> RestartNodeAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfNotRunning();
        var supervisor = Find(name);
        await supervisor.StopAsync(cancellationToken).ConfigureAwait(false);
        using var start = StartToken(cancellationToken, out _);
        await supervisor.StartAsync(start.Token).ConfigureAwait(false);
        return supervisor.Node;
    }

    /// <summary>Waits until every node that should run is healthy; fails fast on a node that is stopped or crashed for good.</summary>
    public async Task WaitHealthyAsync(CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(Nodes.Select(n => WaitHealthyAsync(n.Name, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Waits until the node is healthy; fails fast when it is stopped, or crashed with no automatic restart.</summary>
    /// <exception cref="InvalidOperationException">The node is stopped or crashed.</exception>
    public async Task WaitHealthyAsync(string name, CancellationToken cancellationToken = default)
    {
        var node = this[name];
        var snapshot = await node.WaitForAsync(
            s => s.State == NodeState.Healthy || s.State is NodeState.NotStarted or NodeState.Stopped
                || (s.State == NodeState.Crashed && Options.RestartPolicy == NodeRestartPolicy.Never),
            cancellationToken).ConfigureAwait(false);
        if (snapshot.State != NodeState.Healthy)
        {
            throw new InvalidOperationException($"{name} is {snapshot.State}{(snapshot.LastError is null ? "" : $": {snapshot.LastError}")}.");
        }
    }

    /// <summary>Stops every node and Prometheus (bounded), removes generated files. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _phase, DisposedPhase) == DisposedPhase)
        {
            return;
        }

        BeginShutdown();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        List<NodeSupervisor> supervisors;
        lock (_gate)
        {
            supervisors = [.. _supervisors];
        }

        // Each stop is itself bounded (SIGTERM, then SIGKILL after StopTimeout); the outer bound only
        // guards against a stop that cannot even begin.
        var stops = Task.WhenAll(supervisors.Select(s => s.StopAsync(CancellationToken.None)));
        await Task.WhenAny(stops, Task.Delay(Options.StopTimeout + TimeSpan.FromSeconds(5), TimeProvider)).ConfigureAwait(false);
        KillSurvivors(supervisors);
        await Task.WhenAny(Task.WhenAll(SnapshotBackground()), Task.Delay(TimeSpan.FromSeconds(5), TimeProvider)).ConfigureAwait(false);

        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync().ConfigureAwait(false);
        }

        // Last, after the nodes: a node stopped gracefully flushes its telemetry on the way out.
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        DeleteWorkDirectory();
        Probe.Dispose();
        _lifetime.Dispose();
    }

    /// <summary>
    /// From now on, node exits count as expected: Ctrl+C in a terminal reaches the nodes too (they
    /// share its process group) and they may exit before <see cref="DisposeAsync"/> stops them.
    /// </summary>
    internal void BeginShutdown()
    {
        _shuttingDown = true;
        _prometheus?.MarkStopping();
    }

    /// <summary>Kills every node and Prometheus at once, by pid (a second Ctrl+C).</summary>
    internal void KillAll()
    {
        _shuttingDown = true;
        List<NodeSupervisor> supervisors;
        lock (_gate)
        {
            supervisors = [.. _supervisors];
        }

        foreach (var pid in supervisors.Select(s => s.RunningProcessId).OfType<int>())
        {
            ProcessSignals.TryKill(pid);
        }

        if (_prometheus is { } prometheus)
        {
            prometheus.MarkStopping();

            // Its watchdog shell forwards SIGTERM and waits; killing the shell would orphan Prometheus.
            ProcessSignals.TryTerminate(prometheus.ProcessId);
        }
    }

    /// <summary>Seeds for <paramref name="supervisor"/>: the seed, then up to two healthy others, so a node (or the seed itself) can rejoin while the seed is down.</summary>
    internal IReadOnlyList<IPEndPoint> SeedsFor(NodeSupervisor supervisor)
    {
        List<NodeSnapshot> others;
        lock (_gate)
        {
            others = _supervisors.Where(s => s != supervisor).Select(s => s.Node.Snapshot).ToList();
        }

        var seeds = new List<IPEndPoint>();
        if (others.FirstOrDefault(n => n.IsSeed) is { UdpEndpoint: { } seed })
        {
            seeds.Add(seed);
        }

        seeds.AddRange(others
            .Where(n => !n.IsSeed && n.State == NodeState.Healthy && n.UdpEndpoint is not null)
            .OrderBy(n => n.Index)
            .Take(2)
            .Select(n => n.UdpEndpoint!));
        return seeds;
    }

    internal void Publish(ClusterNode node, NodeSnapshot before, NodeSnapshot after)
    {
        if (before.State != after.State || before.HttpEndpoint != after.HttpEndpoint)
        {
            UpdatePrometheusTargets();
        }

        var handler = NodeChanged;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new NodeChangedEventArgs(node, before, after));
        }
        catch (Exception exception)
        {
            OrchestrationLog.EventHandlerFailed(Logger, exception);
        }
    }

    internal void OnNodeCrashed(NodeSupervisor supervisor, bool wasHealthy)
    {
        if (Options.RestartPolicy != NodeRestartPolicy.OnCrash || !wasHealthy || _shuttingDown)
        {
            return;
        }

        var count = supervisor.TryTakeAutoRestart();
        if (count > 0)
        {
            Track(RestartAfterCrashAsync(supervisor, count, _lifetime.Token));
        }
    }

    private NodeSupervisor Declare()
    {
        NodeSupervisor supervisor;
        lock (_gate)
        {
            var index = _nextIndex++;
            var isSeed = index == 0;
            var node = new ClusterNode($"node-{index}", index, isSeed, new ConsoleLog(Options.ConsoleLogCapacity, TimeProvider));
            var fixedPort = isSeed && Options.SeedPort != 0 ? Options.SeedPort : 0;
            if (fixedPort != 0)
            {
                Ports.Reserve(System.Net.Sockets.ProtocolType.Udp, fixedPort);
            }

            supervisor = new NodeSupervisor(this, node, fixedPort);
            _supervisors.Add(supervisor);
        }

        Raise(NodeAdded, supervisor.Node);
        return supervisor;
    }

    private async Task StartAllAsync(IReadOnlyList<NodeSupervisor> supervisors, CancellationToken cancellationToken)
    {
        using var gate = Options.MaxParallelStarts > 0 ? new SemaphoreSlim(Options.MaxParallelStarts) : null;
        var starts = supervisors.Select(async supervisor =>
        {
            if (gate is not null)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await supervisor.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate?.Release();
            }
        }).ToList();

        try
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
        catch (NodeStartException)
        {
            var failures = starts.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToList();
            throw new AggregateException(
                $"{failures.Count} node(s) did not start: {string.Join("; ", failures.OfType<NodeStartException>().Select(f => f.NodeName))}.",
                failures);
        }
    }

    private async Task StartPrometheusAsync(CancellationToken cancellationToken)
    {
        if (Options.Prometheus is null)
        {
            return;
        }

        try
        {
            var directory = Path.Combine(EnsureWorkDirectory(), "prometheus");
            _prometheus = await PrometheusServer.StartAsync(
                Options.Prometheus, directory, PrometheusConsoleLog, Options.StopTimeout, TimeProvider, Logger, cancellationToken).ConfigureAwait(false);
            UpdatePrometheusTargets();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The start itself was cancelled; that is reported there.
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            OrchestrationLog.PrometheusNotStarted(Logger, exception.Message);
        }
    }

    /// <summary>
    /// Starts the cluster's own OTLP receiver (loopback, free ports) unless the nodes are told to
    /// export elsewhere: a receiver was given, an endpoint was set, or the user's own
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is passed through.
    /// </summary>
    private async Task StartOwnReceiverAsync(CancellationToken cancellationToken)
    {
        var userEndpoint = System.Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (!Options.ReceiveTelemetry
            || Options.Telemetry is not null
            || Options.OtlpEndpoint is not null
            || (Options.PassThroughUserOtlpEndpoint && !string.IsNullOrWhiteSpace(userEndpoint)))
        {
            return;
        }

        var store = new TelemetryStore(timeProvider: TimeProvider);
        _receiver = await OtlpReceiverHost.StartAsync(store, cancellationToken: cancellationToken).ConfigureAwait(false);
        _ownTelemetry = new ClusterTelemetry(_receiver.Receiver, Options.OtlpProtocol);
    }

    private void UpdatePrometheusTargets()
    {
        var prometheus = _prometheus;
        if (prometheus is null || _shuttingDown)
        {
            return;
        }

        try
        {
            prometheus.UpdateTargets(Nodes.Select(n => n.Snapshot));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            OrchestrationLog.TargetsWriteFailed(Logger, prometheus.TargetsPath, exception);
        }
    }

    private async Task MonitorHealthAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Options.HealthCheckInterval, TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                List<NodeSupervisor> supervisors;
                lock (_gate)
                {
                    supervisors = [.. _supervisors];
                }

                await Task.WhenAll(supervisors.Select(s => s.CheckHealthAsync(cancellationToken))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RestartAfterCrashAsync(NodeSupervisor supervisor, int count, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Options.RestartDelay, TimeProvider, cancellationToken).ConfigureAwait(false);
            OrchestrationLog.NodeAutoRestart(Logger, supervisor.Node.Name, count, Options.MaxAutoRestarts);
            using var start = StartToken(cancellationToken, out _);
            await supervisor.StartAsync(start.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is NodeStartException or OperationCanceledException)
        {
            OrchestrationLog.NodeAutoRestartFailed(Logger, supervisor.Node.Name, exception);
        }
    }

    private StartBound StartToken(CancellationToken cancellationToken, out CancellationToken timeout)
    {
        var bound = new StartBound(Options.StartTimeout, TimeProvider, cancellationToken, _lifetime.Token);
        timeout = bound.TimeoutToken;
        return bound;
    }

    /// <summary>A start is bounded by the caller, by <see cref="LiaaClusterOptions.StartTimeout"/> on the injected clock, and by the cluster's lifetime.</summary>
    private sealed class StartBound : IDisposable
    {
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;

        public StartBound(TimeSpan timeout, TimeProvider timeProvider, CancellationToken caller, CancellationToken lifetime)
        {
            _timeout = new CancellationTokenSource(timeout, timeProvider);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, lifetime, _timeout.Token);
        }

        public CancellationToken Token => _linked.Token;

        public CancellationToken TimeoutToken => _timeout.Token;

        public void Dispose()
        {
            _linked.Dispose();
            _timeout.Dispose();
        }
    }

    private NodeSupervisor Find(string name)
    {
        lock (_gate)
        {
            return _supervisors.FirstOrDefault(s => s.Node.Name == name)
                ?? throw new KeyNotFoundException($"There is no node named '{name}'.");
        }
    }

    private void ThrowIfNotRunning()
    {
        var phase = Volatile.Read(ref _phase);
        ObjectDisposedException.ThrowIf(phase == DisposedPhase, this);
        if (phase != StartedPhase)
        {
            throw new InvalidOperationException("Start the cluster first.");
        }
    }

    private void Track(Task task)
    {
        lock (_gate)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(task);
        }
    }

    private List<Task> SnapshotBackground()
    {
        lock (_gate)
        {
            return [.. _background];
        }
    }

    private void KillSurvivors(IEnumerable<NodeSupervisor> supervisors)
    {
        var survivors = supervisors.Select(s => s.RunningProcessId).OfType<int>().ToList();
        foreach (var pid in survivors)
        {
            ProcessSignals.TryKill(pid);
        }

        if (survivors.Count > 0)
        {
            OrchestrationLog.KilledAfterStop(Logger, survivors.Count, string.Join(", ", survivors));
        }
    }

    // The AppHost is exiting without having disposed the cluster: do not leave the nodes to notice
    // on their own.
    private void OnProcessExit(object? sender, EventArgs e) => KillAll();

    private string EnsureWorkDirectory()
    {
        lock (_gate)
        {
            if (_workDirectory is null)
            {
                _ownsWorkDirectory = Options.WorkDirectory is null;
                if (_ownsWorkDirectory)
                {
                    DeleteOrphanedWorkDirectories();
                }

                _workDirectory = Options.WorkDirectory
                    ?? Path.Combine(Path.GetTempPath(), $"{WorkDirectoryPrefix}{System.Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
                Directory.CreateDirectory(_workDirectory);
            }

            return _workDirectory;
        }
    }

    /// <summary>
    /// Removes work directories left by AppHosts that were killed (<c>kill -9</c> cannot clean up):
    /// those whose pid, in the name, no longer runs.
    /// </summary>
    private void DeleteOrphanedWorkDirectories()
    {
        try
        {
            foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), WorkDirectoryPrefix + "*"))
            {
                var name = Path.GetFileName(directory)[WorkDirectoryPrefix.Length..];
                var dash = name.IndexOf('-', StringComparison.Ordinal);
                if (dash > 0 && int.TryParse(name[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            OrchestrationLog.WorkDirectoryCleanupFailed(Logger, Path.GetTempPath(), exception);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private void DeleteWorkDirectory()
    {
        if (!_ownsWorkDirectory || _workDirectory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            OrchestrationLog.WorkDirectoryCleanupFailed(Logger, _workDirectory, exception);
        }
    }

    private void Raise(EventHandler<ClusterNode>? handler, ClusterNode node)
    {
        try
        {
            handler?.Invoke(this, node);
        }
        catch (Exception exception)
        {
            OrchestrationLog.EventHandlerFailed(Logger, exception);
        }
    }
}

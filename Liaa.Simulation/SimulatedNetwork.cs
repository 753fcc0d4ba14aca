using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Simulation;

/// <summary>Parameters of a <see cref="SimulatedNetwork"/>.</summary>
public sealed class SimulationOptions
{
    /// <summary>Number of nodes; node 0 is the seed. <value>Default 200.</value></summary>
    public int NodeCount { get; set; } = 200;

    /// <summary>Seed of every random choice (ids, loss, refresh targets). <value>Default 1.</value></summary>
    public int Seed { get; set; } = 1;

    /// <summary>Network behaviour (loss, delay). <value>Default: lossless, no delay.</value></summary>
    public InMemoryNetworkOptions Network { get; set; } = new();

    /// <summary>Applied to every node's options after the defaults (intervals, k, timeouts).</summary>
    public Action<LiaaNodeOptions>? ConfigureNode { get; set; }

    /// <summary>How many nodes join at once. <value>Default 8.</value></summary>
    public int JoinConcurrency { get; set; } = 8;

    /// <summary>
    /// Whether the simulation has the process's thread pool to itself (<c>bench sim</c>): then the clock moves
    /// exactly when no pool thread has work, which no load on the machine can fool. Leave it off when other work
    /// shares the pool (tests running in parallel): the pool would seldom be idle, and a heuristic decides.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool OwnsThreadPool { get; set; }

    /// <summary>
    /// Whether all nodes report to one <see cref="NodeMetrics"/> (one meter and its instruments, about 5 KB, instead
    /// of one per node; <c>bench sim</c>). Its gauges then observe the last node started, so leave it off to read a
    /// node's own metrics. <value>Default <see langword="false"/>.</value>
    /// </summary>
    public bool ShareMetrics { get; set; }
}

/// <summary>
/// Many <see cref="LiaaNode"/>s, the same code as a real node, on an <see cref="InMemoryNetwork"/> with
/// a <see cref="ManualTimeProvider"/>: the simulator behind the simulation tests and <c>bench sim</c>.
/// </summary>
/// <remarks>
/// Time moves only in <see cref="RunAsync{T}"/>: while the awaited work is not done and the network has
/// gone quiet, the clock jumps to the next due timer (an RPC timeout, a maintenance tick). Node
/// code runs on the thread pool, so the interleaving of concurrent work is not fixed, but every
/// random choice is seeded and no outcome depends on wall-clock time.
/// </remarks>
public sealed class SimulatedNetwork : IAsyncDisposable
{
    // A wait for 2 ms that took this long means the thread pool (or the machine) is starved: work may be
    // queued that has not run yet, so the network is not known to be quiet.
    private static readonly TimeSpan StarvedWait = TimeSpan.FromMilliseconds(20);

    // With OwnsThreadPool: a pool thread busy this long while nothing is queued or sent is taken as stuck on the clock.
    private static readonly TimeSpan StuckFor = TimeSpan.FromMilliseconds(250);

    // ...but on a machine that is always that slow, waiting for a timely check would stall the simulation.
    private const int MaxLateChecksIgnored = 25;

    // As many checks (2 ms each) with pool work queued, before queued work is taken as someone else's.
    private const int MaxBusyChecksIgnored = 100;

    private readonly List<LiaaNode> _nodes = [];
    private readonly HashSet<IPEndPoint> _silenced = [];
    private readonly SimulationOptions _options;
    private readonly Random _random;

    // Every node's routing table keeps the one instance of each contact: 120 bytes per contact per table otherwise.
    private readonly ContactPool _contacts = new();
    private readonly NodeMetrics? _metrics;
    private int _nextAddress;
    private long _forcedSteps;

    private SimulatedNetwork(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _metrics = options.ShareMetrics ? new NodeMetrics() : null;
        Time = new ManualTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Network = new InMemoryNetwork(Time, new Random(options.Seed + 1), options.Network);
    }

    public ManualTimeProvider Time { get; }

    public InMemoryNetwork Network { get; }

    /// <summary>
    /// Times the clock moved while a pool thread was still busy (<see cref="SimulationOptions.OwnsThreadPool"/> only):
    /// it had queued, sent and read nothing for <see cref="StuckFor"/> of the process's CPU time (GC pauses aside), so it
    /// was taken to be waiting on the clock.
    /// </summary>
    public long ForcedSteps => Interlocked.Read(ref _forcedSteps);

    /// <summary>Every node started, including stopped ones (see <see cref="IsRunning"/>).</summary>
    public IReadOnlyList<LiaaNode> Nodes => _nodes;

    /// <summary>Starts <see cref="SimulationOptions.NodeCount"/> nodes and joins each through node 0.</summary>
    public static async Task<SimulatedNetwork> CreateAsync(SimulationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var network = new SimulatedNetwork(options);
        var seed = await network.AddNodeAsync(join: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await seed.BootstrapAsync([], cancellationToken).ConfigureAwait(false);
        var remaining = options.NodeCount - 1;
        while (remaining > 0)
        {
            var batch = Math.Min(remaining, Math.Max(1, options.JoinConcurrency));
            var joins = new Task<LiaaNode>[batch];
            for (var i = 0; i < batch; i++)
            {
                joins[i] = network.AddNodeAsync(join: true, cancellationToken: cancellationToken);
            }

            await network.RunAsync(Task.WhenAll(joins), cancellationToken).ConfigureAwait(false);
            remaining -= batch;
        }

        return network;
    }

    /// <summary>Starts one more node (with <paramref name="id"/>, or a seeded random id) and, when asked, joins it through node 0.</summary>
    public async Task<LiaaNode> AddNodeAsync(bool join = true, NodeId? id = null, CancellationToken cancellationToken = default)
    {
        var index = _nextAddress++;
        var endPoint = new IPEndPoint(new IPAddress([127, 1, (byte)(index / 50_000), 1]), 10_000 + (index % 50_000));
        NodeId nodeId;
        Random random;
        lock (_random)
        {
            nodeId = id ?? NodeId.Random(_random);
            random = new Random(_random.Next());
        }

        var options = new LiaaNodeOptions
        {
            EndPoint = endPoint,
            NodeId = nodeId,
            TimeProvider = Time,
            Random = random,
            Transport = Network.Bind(endPoint),
            ContactPool = _contacts,
        };

        // Thousands of nodes each keeping its latest lookups would weigh on bench sim's memory; a test that reads them turns them on.
        options.Kademlia.RecentLookups = 0;
        _options.ConfigureNode?.Invoke(options);
        var node = await LiaaNode.StartAsync(options, metrics: _metrics, cancellationToken: cancellationToken).ConfigureAwait(false);
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        if (join && _nodes.Count > 1)
        {
            await node.BootstrapAsync([_nodes[0].EndPoint], cancellationToken).ConfigureAwait(false);
        }

        return node;
    }

    /// <summary>Whether <paramref name="node"/> is reachable (not stopped or disconnected).</summary>
    public bool IsRunning(LiaaNode node)
    {
        lock (_silenced)
        {
            return !_silenced.Contains(node.EndPoint);
        }
    }

    /// <summary>Takes a node off the network without telling anyone: it goes silent, as a crashed node does.</summary>
    public void Silence(LiaaNode node)
    {
        lock (_silenced)
        {
            _silenced.Add(node.EndPoint);
        }

        Network.Disconnect(node.EndPoint);
    }

    /// <summary>
    /// Awaits <paramref name="work"/>, moving the clock to the next due timer whenever the work waits on
    /// time (an RPC timing out, a maintenance tick, a delayed datagram arriving) and nothing else is moving.
    /// </summary>
    public async Task<T> RunAsync<T>(Task<T> work, CancellationToken cancellationToken = default)
    {
        await RunAsync((Task)work, cancellationToken).ConfigureAwait(false);
        return await work.ConfigureAwait(false);
    }

    /// <inheritdoc cref="RunAsync{T}(Task{T}, CancellationToken)"/>
    public async Task RunAsync(Task work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!work.IsCompleted)
        {
            await OnDriverThreadAsync(() =>
            {
                while (!work.IsCompleted)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (WaitUntilQuiet(work) && Time.NextDueAt is { } due)
                    {

                        Time.SetUtcNow(due > Time.GetUtcNow() ? due : Time.GetUtcNow());
                    }
                }
            }).ConfigureAwait(false);
        }

        await work.ConfigureAwait(false);
    }

    /// <summary>Moves the clock forward by <paramref name="duration"/>, letting the work due on the way (maintenance, timeouts) run as it goes.</summary>
    public Task AdvanceAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var end = Time.GetUtcNow() + duration;

        // Completes only when the caller cancels, which ends a wait for quiet. Its registration goes with the advance:
        // a Task.Delay(Infinite, token) here stayed registered on a long-lived token after every advance.
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource)s!).TrySetResult(), cancelled);
        return OnDriverThreadAsync(() =>
        {
            using (registration)
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    WaitUntilQuiet(cancelled.Task);
                    var next = Time.NextDueAt;
                    if (next is null || next > end)
                    {
                        Time.SetUtcNow(end);
                        WaitUntilQuiet(cancelled.Task);
                        return;
                    }

                    Time.SetUtcNow(next.Value > Time.GetUtcNow() ? next.Value : Time.GetUtcNow());
                }
            }
        });
    }

    /// <summary>
    /// Runs the clock's driver on a thread of its own, not the pool's: it polls for quiet in a loop, and a pool
    /// thread held by it would be one fewer for the nodes (and would count as pool work in <see cref="IsPoolIdle"/>).
    /// </summary>
    private static Task OnDriverThreadAsync(Action drive) =>
        Task.Factory.StartNew(drive, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    /// <summary>
    /// Blocks until the simulation waits on the clock (true) or <paramref name="work"/> completes (false).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Exact when the simulation has the thread pool to itself (<c>bench sim</c>): all node code runs on pool
    /// threads (receive loops, continuations; the clock's callbacks run on this driver thread, inside
    /// <see cref="ManualTimeProvider.SetUtcNow"/>), so when no pool thread is processing work, no work item is
    /// queued and no datagram was sent in between, twice in a row, nothing can move until a timer fires. Delayed
    /// datagrams wait on the network's timer, so they are the clock's business, not a reason to wait.
    /// </para>
    /// <para>
    /// When other work shares the pool (tests running in parallel), the pool is rarely idle, and the older
    /// heuristic decides: no datagram sent or read for two consecutive 2 ms checks, neither of them late, and none
    /// waiting in a receive queue or work queued for the pool (each waited out only so often). A late
    /// check (the 2 ms wait took over <see cref="StarvedWait"/>) does not count: on a loaded machine, a
    /// response can sit unread in a queue, or its continuation wait for a thread, while no datagram moves;
    /// moving the clock then would time out a call whose answer has already arrived. After
    /// <see cref="MaxLateChecksIgnored"/> late checks in one wait, lateness is taken as the machine's normal pace.
    /// </para>
    /// </remarks>
    private bool WaitUntilQuiet(Task work)
    {
        var quietChecks = 0;
        var lateChecks = 0;
        var busyChecks = 0;
        long lastSent = -1;
        var spins = 0;
        var stuckSent = -1L;
        var stuckRead = -1L;
        var stuckCpu = TimeSpan.Zero;
        var stuckPaused = TimeSpan.Zero;
        long lastRead = -1;
        var slowCheckDue = TimeProvider.System.GetTimestamp() + (TimeProvider.System.TimestampFrequency / 500);
        while (true)
        {
            if (work.IsCompleted)
            {
                return false;
            }

            var sentBefore = Network.Counters.Sent;
            var readBefore = Network.ReceivedCount;
            if (_options.OwnsThreadPool)
            {
                if (IsPoolIdle())
                {
                    Thread.Yield();
                    if (IsPoolIdle() && Network.Counters.Sent == sentBefore && !work.IsCompleted)
                    {
                        return true;
                    }
                }
                else if (ThreadPool.PendingWorkItemCount == 0 && sentBefore == stuckSent && readBefore == stuckRead)
                {
                    // A pool thread busy for long with nothing queued, sent or read is spinning on something only the
                    // clock can end: move it, and count it (the figure is reported, it should stay near zero). The one
                    // such spin found, a lookup asking Task.Delay for under a millisecond (which it turns into 0), is
                    // fixed in LookupRunner. Long means the process's CPU time, not the wall time, and without GC
                    // pauses: a thread descheduled on a loaded machine, or stopped by a GC, is not spinning. Taken for
                    // stuck, it has the clock move while a receive loop still holds responses (lookups go on in the
                    // receive loop, so nothing is queued meanwhile), and their calls can time out although answered.
                    if (BusyFor(stuckCpu, stuckPaused) > StuckFor)
                    {
                        Interlocked.Increment(ref _forcedSteps);
                        return true;
                    }
                }
                else
                {
                    stuckSent = sentBefore;
                    stuckRead = readBefore;
                    stuckCpu = Environment.CpuUsage.TotalTime;
                    stuckPaused = GC.GetTotalPauseDuration();
                }
            }

            // Let the pool work: yield a few times, then sleep a little, so that a long wait does not burn a core.
            if (++spins < 50)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(spins < 200 ? 0 : 1);
            }

            // The heuristic, one check every 2 ms.
            var now = TimeProvider.System.GetTimestamp();
            if (_options.OwnsThreadPool || now < slowCheckDue)
            {
                continue;
            }

            var late = now - slowCheckDue > StarvedWait.Ticks * TimeProvider.System.TimestampFrequency / TimeSpan.TicksPerSecond
                && ++lateChecks <= MaxLateChecksIgnored;
            slowCheckDue = now + (TimeProvider.System.TimestampFrequency / 500);
            // Work queued for the pool and not yet run (a response's continuation, a datagram's receive loop), or
            // datagrams waiting in a receive queue whose loop is busy, is not quiet either; other work sharing the
            // pool can hold that up too, so it is waited out only so often. A datagram read is activity as a datagram
            // sent is: a receive loop working through its queue sends nothing while it reads answers.
            var busy = (ThreadPool.PendingWorkItemCount > 0 || Network.WaitingCount > 0) && ++busyChecks <= MaxBusyChecksIgnored;
            var sent = Network.Counters.Sent;
            var read = Network.ReceivedCount;
            var quiet = !late && !busy && sent == lastSent && read == lastRead;
            quietChecks = quiet ? quietChecks + 1 : 0;
            lastSent = sent;
            lastRead = read;
            if (quietChecks >= 2)
            {
                return true;
            }
        }
    }

    /// <summary>CPU time the process spent since <paramref name="cpuBefore"/>, without the GC pauses since <paramref name="pausedBefore"/>.</summary>
    private static TimeSpan BusyFor(TimeSpan cpuBefore, TimeSpan pausedBefore) =>
        Environment.CpuUsage.TotalTime - cpuBefore - (GC.GetTotalPauseDuration() - pausedBefore);

    /// <summary>No pool thread processing work and none queued.</summary>
    private static bool IsPoolIdle()
    {
        ThreadPool.GetAvailableThreads(out var available, out _);
        ThreadPool.GetMaxThreads(out var max, out _);
        return max == available && ThreadPool.PendingWorkItemCount == 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        _metrics?.Dispose();
    }
}

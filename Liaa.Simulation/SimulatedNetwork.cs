using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;

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

    // ...but on a machine that is always that slow, waiting for a timely check would stall the simulation.
    private const int MaxLateChecksIgnored = 25;

    private readonly List<LiaaNode> _nodes = [];
    private readonly HashSet<IPEndPoint> _silenced = [];
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private int _nextAddress;

    private SimulatedNetwork(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        Time = new ManualTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Network = new InMemoryNetwork(Time, new Random(options.Seed + 1), options.Network);
    }

    public ManualTimeProvider Time { get; }

    public InMemoryNetwork Network { get; }

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
        };
        _options.ConfigureNode?.Invoke(options);
        var node = await LiaaNode.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
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
    /// time (an RPC timing out, a maintenance tick) and nothing else is moving.
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
        while (!work.IsCompleted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await QuiescedAsync(work).ConfigureAwait(false))
            {
                if (Time.NextDueAt is { } due)
                {
                    Time.SetUtcNow(due > Time.GetUtcNow() ? due : Time.GetUtcNow());
                }
            }
        }

        await work.ConfigureAwait(false);
    }

    /// <summary>Moves the clock forward by <paramref name="duration"/>, letting the work due on the way (maintenance, timeouts) run as it goes.</summary>
    public async Task AdvanceAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var end = Time.GetUtcNow() + duration;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await QuiescedAsync(Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            var next = Time.NextDueAt;
            if (next is null || next > end)
            {
                Time.SetUtcNow(end);
                await QuiescedAsync(Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
                return;
            }

            Time.SetUtcNow(next.Value > Time.GetUtcNow() ? next.Value : Time.GetUtcNow());
        }
    }

    /// <summary>
    /// Waits (in real time, briefly) until the network has no datagram in flight and <paramref name="work"/>
    /// has not completed for two consecutive short checks, neither of them late: the simulation is
    /// waiting on the clock.
    /// </summary>
    /// <remarks>
    /// A late check (the 2 ms wait took over <see cref="StarvedWait"/>) does not count: on a loaded
    /// machine, a response can sit unread in a queue, or its continuation wait for a thread, while no
    /// datagram moves; moving the clock then would time out a call whose answer has already arrived.
    /// After <see cref="MaxLateChecksIgnored"/> late checks in one wait, lateness is taken as the machine's
    /// normal pace. (Queues are not inspected: a stopped node's queue never drains.)
    /// </remarks>
    private async Task<bool> QuiescedAsync(Task work)
    {
        var quietChecks = 0;
        var lateChecks = 0;
        long lastSent = -1;
        while (quietChecks < 2)
        {
            var waitStarted = TimeProvider.System.GetTimestamp();
            await Task.WhenAny(work, Task.Delay(2)).ConfigureAwait(false);
            if (work.IsCompleted)
            {
                return false;
            }

            var late = TimeProvider.System.GetElapsedTime(waitStarted) > StarvedWait && ++lateChecks <= MaxLateChecksIgnored;
            var sent = Network.Counters.Sent;
            var quiet = !late && sent == lastSent && Network.InFlightCount == 0;
            quietChecks = quiet ? quietChecks + 1 : 0;
            lastSent = sent;
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }
}

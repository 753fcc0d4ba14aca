using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Liaa.Node;

/// <summary>
/// A Kademlia node, embeddable in any .NET app: start it on a port, bootstrap through seeds, put and
/// get values by string key or 20-byte digest, read its routing table and store, and stop it.
/// The <c>serve</c> command and the HTTP API are built on this same type.
/// </summary>
/// <example>
/// <code>
/// await using var node = await LiaaNode.StartAsync(new LiaaNodeOptions { EndPoint = new(IPAddress.Loopback, 0) });
/// await node.BootstrapAsync([IPEndPoint.Parse("127.0.0.1:8468")]);
/// await node.PutAsync("greeting", DhtValue.FromString("hello"));
/// var result = await node.GetAsync("greeting");
/// </code>
/// </example>
public sealed class LiaaNode : IAsyncDisposable, INodeStateSource
{
    private readonly NodeRuntime _node;
    private readonly MaintenanceService? _maintenance;
    private readonly NodeMetrics _metrics;
    private readonly bool _ownsMetrics;
    private IReadOnlyList<Contact> _remembered;
    private int _stopped;

    private LiaaNode(NodeRuntime node, NodeMetrics metrics, bool ownsMetrics)
    {
        _node = node;
        _metrics = metrics;
        _ownsMetrics = ownsMetrics;
        _maintenance = node.Options.ClientMode
            ? null
            : new MaintenanceService(node.Maintenance, node.Store, node.Routing, node.Data, node.Options.MaintenanceInterval, node.Time, metrics, node.Logger);
        _remembered = node.Data?.RememberedContacts ?? [];
        StartedAt = node.Time.GetUtcNow();
    }

    /// <summary>This node's id.</summary>
    public NodeId Id => _node.Self;

    /// <summary>The UDP endpoint the node is bound to (with the actual port when 0 was asked).</summary>
    public IPEndPoint EndPoint => _node.Rpc.LocalEndPoint;

    /// <summary>
    /// The endpoint peers see this node's datagrams come from, as a peer that answered the join reported it
    /// (<c>stun</c>): the node's address for others when it is bound to 0.0.0.0 or :: (behind NAT, the NAT's public
    /// side). Null before a join reached a peer, for a client node, and for a node bound to one address (which it is).
    /// </summary>
    public IPEndPoint? ExternalEndPoint => _node.ExternalEndPoint;

    public DateTimeOffset StartedAt { get; }

    /// <summary>True once a join reached a seed, or when the node was started without seeds.</summary>
    public bool IsJoined { get; private set; }

    public LiaaNodeOptions Options => _node.Options;

    /// <summary>Whether datagrams still reach the node (false once its socket is closed or keeps failing).</summary>
    public bool IsReceiving => _node.Rpc.IsReceiving;

    /// <summary>
    /// Why the data directory's value log cannot be written (a full or failing disk), or null while it can or
    /// when the node keeps nothing on disk. Once failed, puts are refused (HTTP 503) until the node restarts.
    /// </summary>
    public IOException? StorageFailure => _node.Data?.Values.Failure;

    /// <summary>Completes when the node's receive loop has ended (tests await it).</summary>
    internal Task ReceiveCompletion => _node.Rpc.ReceiveCompletion;

    /// <summary>Calls waiting for a response (tests on a manual clock time out the silent ones when nothing else is pending).</summary>
    internal int PendingCallCount => _node.Rpc.PendingCallCount;

    /// <summary>Binds the socket (or the given transport) and starts serving and maintenance. Does not join: call <see cref="BootstrapAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names every problem.</exception>
    /// <exception cref="IOException">The data directory is in use by another node or cannot be written.</exception>
    /// <exception cref="InvalidDataException">A file in the data directory is not what Liaa wrote.</exception>
    public static async Task<LiaaNode> StartAsync(LiaaNodeOptions options, ILoggerFactory? loggerFactory = null, NodeMetrics? metrics = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid node options: " + string.Join(" ", problems), nameof(options));
        }

        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Liaa.Node");
        var ownsMetrics = metrics is null;
        metrics ??= new NodeMetrics();
        NodeDataDirectory? data = null;
        NodeRuntime runtime;
        try
        {
            data = options.DataDirectory is { } directory ? NodeDataDirectory.Open(directory, options.NodeId, logger) : null;
            var self = data?.NodeId ?? options.NodeId ?? Kademlia.NodeId.NewRandom();
            var store = new InMemoryValueStore(options.TimeProvider, options.Storage, data?.Values);
            if (data is not null)
            {
                Restore(store, data, logger);
            }

            // A socket this node binds is its own to close; a transport given in the options is the caller's.
            var owned = options.Transport is null ? UdpDatagramTransport.Bind(options.EndPoint) : null;
            var rpcOptions = options.Rpc;
            rpcOptions.ClientMode = options.ClientMode;
            var rpc = new RpcEndpoint(options.Transport ?? owned!, rpcOptions, options.TimeProvider, loggerFactory.CreateLogger<RpcEndpoint>())
            {
                Observer = new RpcMetricsObserver(metrics),
                ServesStoresInline = data is null,
                ContactPool = options.ContactPool,
            };
            runtime = new NodeRuntime(self, options, store, rpc, metrics, logger, data, loggerFactory.CreateLogger("Liaa.Node.Join"), loggerFactory.CreateLogger("Liaa.Node.Routing")) { OwnedTransport = owned };
        }
        catch
        {
            data?.Dispose();
            if (ownsMetrics)
            {
                metrics.Dispose();
            }

            throw;
        }

        var node = new LiaaNode(runtime, metrics, ownsMetrics);
        metrics.Observe(node);
        runtime.Rpc.Start(runtime.Handler);
        if (node._maintenance is not null)
        {
            await node._maintenance.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        Log.NodeStarted(runtime.Logger, runtime.Self, runtime.Rpc.LocalEndPoint);
        return node;
    }

    private static void Restore(InMemoryValueStore store, NodeDataDirectory data, ILogger logger)
    {
        var restored = store.Restore(data.Recovery.Values);
        if (restored.Refused > 0)
        {
            Log.ValuesNotRestored(logger, restored.Refused, "the storage limits no longer admit them");
        }

        data.Values.CompactionSource = () => store.CaptureForJournal(() => data.Values.Position);
    }

    /// <summary>Joins the network through <paramref name="seeds"/> (the options' seeds when null). With no seed the node starts a new network.</summary>
    public async Task<JoinResult> BootstrapAsync(IEnumerable<IPEndPoint>? seeds = null, CancellationToken cancellationToken = default)
    {
        var all = (seeds ?? _node.Options.Seeds).ToArray();
        var list = all.Where(s => !s.Equals(EndPoint)).ToArray();
        var remembered = Volatile.Read(ref _remembered);
        var result = await _node.Join.JoinAsync(list, remembered, cancellationToken).ConfigureAwait(false);
        result = result with { SelfSeeds = result.SelfSeeds + all.Length - list.Length };
        if (result.IsJoined)
        {
            // Remembered contacts are pinged until one join succeeds; after that the routing table knows better.
            Volatile.Write(ref _remembered, []);
            IsJoined = true;
            Log.Joined(_node.Logger, result.SeedsReached, result.SeedsTried, result.RoutingTableSize);
        }
        else
        {
            Log.JoinFailed(_node.Logger, result.SeedsTried);
        }

        return result;
    }

    /// <summary>
    /// Pings <paramref name="seeds"/> and keeps those that answer as contacts, without the join's lookups: for a
    /// short-lived client (the command line's <c>get</c>), whose one lookup starts from the seeds anyway. The node does
    /// not count as joined (<see cref="IsJoined"/>).
    /// </summary>
    internal Task<JoinResult> ReachSeedsAsync(IEnumerable<IPEndPoint> seeds, CancellationToken cancellationToken = default) =>
        _node.Join.ReachSeedsAsync([.. seeds.Where(s => !s.Equals(EndPoint))], cancellationToken);

    /// <summary>Stores a value under the SHA-1 of <paramref name="key"/> (as Python's <c>set</c>).</summary>
    public Task<PutResult> PutAsync(string key, DhtValue value, CancellationToken cancellationToken = default) =>
        PutAsync(NodeId.FromKey(key), value, cancellationToken);

    /// <summary>Stores a value under a 20-byte digest given as is (as Python's <c>set_digest</c>).</summary>
    public async Task<PutResult> PutAsync(NodeId key, DhtValue value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var result = await _node.Values.PutAsync(key, value, cancellationToken).ConfigureAwait(false);
        if (result.IsAccepted)
        {
            Log.PutCompleted(_node.Logger, key, result.StoredAt, result.Asked);
        }

        return result;
    }

    /// <summary>Reads the value under the SHA-1 of <paramref name="key"/>.</summary>
    public Task<GetResult> GetAsync(string key, CancellationToken cancellationToken = default) =>
        GetAsync(NodeId.FromKey(key), cancellationToken);

    /// <summary>Reads the value under a 20-byte digest.</summary>
    public async Task<GetResult> GetAsync(NodeId key, CancellationToken cancellationToken = default)
    {
        var result = await _node.Values.GetAsync(key, cancellationToken).ConfigureAwait(false);
        Log.GetCompleted(_node.Logger, key, result.IsFound ? (result.IsLocal ? "found locally" : "found") : "not found", result.Rounds, result.NodesContacted);
        return result;
    }

    /// <summary>An iterative FIND_NODE: the k closest live nodes to <paramref name="target"/> the network knows, nearest first.</summary>
    public async Task<IReadOnlyList<Contact>> FindClosestNodesAsync(NodeId target, CancellationToken cancellationToken = default)
    {
        var result = await _node.Lookups.RunAsync(LookupKind.FindNode, target, cancellationToken).ConfigureAwait(false);
        return result.ClosestNodes;
    }

    /// <summary>The k-buckets with their ranges and contacts.</summary>
    public IReadOnlyList<BucketSnapshot> GetRoutingTable() => _node.Routing.GetBuckets();

    /// <summary>Every contact in the routing table.</summary>
    public IReadOnlyList<Contact> GetContacts() => _node.Routing.GetAll();

    /// <summary>The latest lookups this node ran, newest first, round by round (<see cref="KademliaOptions.RecentLookups"/> of them).</summary>
    internal IReadOnlyList<LookupRecording> GetRecentLookups() => _node.RecentLookups.Snapshot();

    /// <summary>The values this node holds.</summary>
    public IReadOnlyList<StoredValue> GetStoredValues() => _node.Store.GetAll();

    /// <summary>The value this node holds under <paramref name="key"/>, with its origin and times; null when none.</summary>
    public StoredValue? GetStoredValue(NodeId key) => _node.Store.TryGet(key, out var value) ? value : null;

    public StorageStatistics GetStorageStatistics() => _node.Store.GetStatistics();

    /// <summary>The RPC layer's counters (requests, timeouts, drops by reason).</summary>
    public RpcCounters RpcCounters => _node.Rpc.Counters;

    /// <summary>Runs one maintenance round now (expiry, refresh, replication, republish); for tests.</summary>
    internal Task RunMaintenanceAsync(CancellationToken cancellationToken = default) =>
        _maintenance?.RunOnceAsync(cancellationToken) ?? Task.CompletedTask;

    int INodeStateSource.RoutingTableSize => _node.Routing.Count;

    int INodeStateSource.ReplacementCacheSize => _node.Routing.ReplacementCount;

    IReadOnlyList<double> INodeStateSource.GetBucketFill() =>
        [.. _node.Routing.GetBuckets().Select(b => b.Fill)];

    StorageGauges INodeStateSource.GetStorage()
    {
        var statistics = GetStorageStatistics();
        return new StorageGauges(
            statistics.MaxKeys,
            statistics.MaxTotalBytes,
            [.. Enum.GetValues<ValueOrigin>().Select(origin =>
            {
                var held = statistics.For(origin);
                return new OriginGauge(origin.ToString().ToLowerInvariant(), held.Keys, held.Bytes);
            })]);
    }

    /// <summary>The maintenance loop's task (null for a client-mode node): for tests that check how it ended.</summary>
    internal Task? MaintenanceLoop => _maintenance?.ExecuteTask;

    /// <summary>Rounds the maintenance loop has completed (0 for a client-mode node).</summary>
    internal int MaintenanceRounds => _maintenance?.Rounds ?? 0;

    /// <summary>Stops maintenance and background work, fails pending calls and closes the socket.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        if (_maintenance is not null)
        {
            await _maintenance.StopAsync(CancellationToken.None).ConfigureAwait(false);
            _maintenance.Dispose();
        }

        await _node.PutTails.WhenIdleAsync().ConfigureAwait(false);
        await _node.Rpc.StopAsync().ConfigureAwait(false);
        await _node.PutTails.StopAsync().ConfigureAwait(false);
        await _node.Background.StopAsync().ConfigureAwait(false);
        await _node.Rpc.DisposeAsync().ConfigureAwait(false);
        if (_node.OwnedTransport is { } transport)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }

        if (_node.Data is { } data)
        {
            data.TrySaveContacts(_node.Routing.GetAll(), _node.Logger);
            data.Dispose();
        }

        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }

        Log.NodeStopped(_node.Logger, _node.Self);
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

using System.Net;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// One named node resource of a <see cref="LiaaCluster"/> (<c>node-0</c> is the seed): its identity,
/// endpoints, lifecycle state and console output. Outlives the processes that back it: a restart keeps
/// the resource, its console log and (when still free) its ports.
/// </summary>
/// <remarks>
/// All state lives in one immutable <see cref="NodeSnapshot"/> swapped under a lock, so a reader
/// always sees a consistent set of values; the properties are shortcuts into the current snapshot.
/// Only the cluster's supervisor changes it.
/// </remarks>
public sealed class ClusterNode
{
    private readonly Lock _gate = new();
    private NodeSnapshot _snapshot;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ClusterNode(string name, int index, bool isSeed, ConsoleLog consoleLog)
    {
        _snapshot = new NodeSnapshot(name, index, isSeed, NodeState.NotStarted, null, null, null, null, null, null, null, 0, null);
        ConsoleLog = consoleLog;
    }

    public string Name => _snapshot.Name;

    public int Index => _snapshot.Index;

    public bool IsSeed => _snapshot.IsSeed;

    /// <summary>The current state and everything else, consistently.</summary>
    public NodeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public NodeState State => Snapshot.State;

    public string? NodeId => Snapshot.NodeId;

    public IPEndPoint? UdpEndpoint => Snapshot.UdpEndpoint;

    public Uri? HttpEndpoint => Snapshot.HttpEndpoint;

    public int? ProcessId => Snapshot.ProcessId;

    public DateTimeOffset? StartedAt => Snapshot.StartedAt;

    public int? ExitCode => Snapshot.ExitCode;

    public int RestartCount => Snapshot.RestartCount;

    public string? LastError => Snapshot.LastError;

    /// <summary>Console output of every process this node has had, newest kept.</summary>
    public ConsoleLog ConsoleLog { get; }

    /// <summary>
    /// Waits until the node's snapshot satisfies <paramref name="predicate"/> (checked now and after
    /// every change), and returns that snapshot.
    /// </summary>
    public async Task<NodeSnapshot> WaitForAsync(Func<NodeSnapshot, bool> predicate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        while (true)
        {
            Task changed;
            NodeSnapshot snapshot;
            lock (_gate)
            {
                snapshot = _snapshot;
                changed = _changed.Task;
            }

            if (predicate(snapshot))
            {
                return snapshot;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override string ToString() => $"{Name} ({State})";

    /// <summary>
    /// Applies <paramref name="change"/> atomically; returns the snapshots before and after, and the
    /// signal that releases <see cref="WaitForAsync"/> callers. The caller completes it after
    /// publishing the change, so a waiter never runs ahead of the <see cref="LiaaCluster.NodeChanged"/> handlers.
    /// </summary>
    internal (NodeSnapshot Before, NodeSnapshot After, TaskCompletionSource? Changed) Update(Func<NodeSnapshot, NodeSnapshot> change)
    {
        lock (_gate)
        {
            var before = _snapshot;
            var after = change(before);
            if (after == before)
            {
                return (before, after, null);
            }

            Volatile.Write(ref _snapshot, after);
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return (before, after, changed);
        }
    }
}

namespace Liaa.AppHost.Orchestration;

/// <summary>A node's snapshot before and after one change.</summary>
public sealed class NodeChangedEventArgs(ClusterNode node, NodeSnapshot previous, NodeSnapshot current) : EventArgs
{
    public ClusterNode Node { get; } = node;

    public NodeSnapshot Previous { get; } = previous;

    public NodeSnapshot Current { get; } = current;

    /// <summary>True when the lifecycle state changed (not only, say, the node id).</summary>
    public bool StateChanged => Previous.State != Current.State;
}

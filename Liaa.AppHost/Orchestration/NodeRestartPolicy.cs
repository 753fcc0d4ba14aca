namespace Liaa.AppHost.Orchestration;

/// <summary>What the cluster does when a node's process exits without being asked to.</summary>
public enum NodeRestartPolicy
{
    /// <summary>Report it (state <see cref="NodeState.Crashed"/>) and leave it down.</summary>
    Never,

    /// <summary>
    /// Report it, then start it again after <see cref="LiaaClusterOptions.RestartDelay"/>, at most
    /// <see cref="LiaaClusterOptions.MaxAutoRestarts"/> times per node. Only nodes that had become
    /// healthy are restarted: one that cannot even start would just crash again.
    /// </summary>
    OnCrash,
}

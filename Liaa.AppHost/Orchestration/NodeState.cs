namespace Liaa.AppHost.Orchestration;

/// <summary>The lifecycle of one node resource, as the AppHost sees it.</summary>
public enum NodeState
{
    /// <summary>Declared but never started.</summary>
    NotStarted,

    /// <summary>The process is running but <c>/health</c> has not answered 200 yet (binding, joining).</summary>
    Starting,

    /// <summary>The process is running and its last <c>/health</c> answered 200.</summary>
    Healthy,

    /// <summary>The process is running but its last <c>/health</c> failed after it had been healthy.</summary>
    Unhealthy,

    /// <summary>A stop was asked for and the process has not exited yet.</summary>
    Stopping,

    /// <summary>The process exited because the AppHost stopped or killed it.</summary>
    Stopped,

    /// <summary>The process exited without being asked to (see the exit code and the console log).</summary>
    Crashed,
}

/// <summary>Helpers over <see cref="NodeState"/>.</summary>
public static class NodeStateExtensions
{
    /// <summary>True while a process exists for the node.</summary>
    public static bool IsRunning(this NodeState state) =>
        state is NodeState.Starting or NodeState.Healthy or NodeState.Unhealthy or NodeState.Stopping;

    /// <summary>True once the node's process has exited (or never ran).</summary>
    public static bool IsFinished(this NodeState state) =>
        state is NodeState.NotStarted or NodeState.Stopped or NodeState.Crashed;
}

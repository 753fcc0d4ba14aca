using System.Net;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// An immutable, consistent view of one node resource at one moment: what the dashboard renders and
/// what <see cref="LiaaCluster.NodeChanged"/> carries.
/// </summary>
/// <param name="Name">The resource name, <c>node-0</c> (the seed) … <c>node-N</c>.</param>
/// <param name="Index">The number in the name.</param>
/// <param name="IsSeed">True for the node every other node joins through.</param>
/// <param name="State">Where the node is in its lifecycle.</param>
/// <param name="NodeId">The Kademlia id (40 hex digits) the running process reported, once known.</param>
/// <param name="UdpEndpoint">The Kademlia (UDP) endpoint, on 127.0.0.1.</param>
/// <param name="HttpEndpoint">The base URL of the node's HTTP API (<c>/health</c>, <c>/metrics</c>, <c>/v1/…</c>).</param>
/// <param name="ProcessId">The pid of the current or last process, once started.</param>
/// <param name="StartedAt">When the current or last process was started.</param>
/// <param name="ExitedAt">When the last process exited, if it has.</param>
/// <param name="ExitCode">The last process's exit code, once it has exited (137 = SIGKILL on Unix).</param>
/// <param name="RestartCount">How many times the node was started again after its first start.</param>
/// <param name="LastError">Why the last start or run failed, if it did.</param>
public sealed record NodeSnapshot(
    string Name,
    int Index,
    bool IsSeed,
    NodeState State,
    string? NodeId,
    IPEndPoint? UdpEndpoint,
    Uri? HttpEndpoint,
    int? ProcessId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? ExitedAt,
    int? ExitCode,
    int RestartCount,
    string? LastError)
{
    /// <summary>How long the current process has been running at <paramref name="now"/>; null when it is not running.</summary>
    public TimeSpan? UptimeAt(DateTimeOffset now) =>
        State.IsRunning() && StartedAt is { } started ? now - started : null;
}

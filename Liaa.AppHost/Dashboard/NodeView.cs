using Liaa.AppHost.Orchestration;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// One node resource as the Resources page and <c>GET /api/nodes</c> show it: the AppHost's own view
/// (state, pid, endpoints, uptime, restarts) joined with the node's latest gauges from its metrics.
/// </summary>
internal sealed record NodeView(
    string Name,
    int Index,
    bool IsSeed,
    NodeState State,
    bool IsRunning,
    string? NodeId,
    string? Udp,
    string? Http,
    int? Pid,
    DateTimeOffset? StartedAt,
    double? UptimeSeconds,
    DateTimeOffset? ExitedAt,
    int? ExitCode,
    int RestartCount,
    string? LastError,
    int? RoutingTableSize,
    long? StoredKeys,
    IReadOnlyDictionary<string, long>? KeysByOrigin,
    DateTimeOffset? MetricsAt,
    double? RingPosition)
{
    public static NodeView From(NodeSnapshot node, NodeGauges? gauges, DateTimeOffset now)
    {
        // Gauges of an earlier process of this node would be misleading next to a new pid.
        var current = gauges is not null && (node.NodeId is null || gauges.InstanceId is null || gauges.InstanceId == node.NodeId)
            ? gauges
            : null;
        var running = node.State.IsRunning();
        return new NodeView(
            node.Name,
            node.Index,
            node.IsSeed,
            node.State,
            running,
            node.NodeId,
            node.UdpEndpoint?.ToString(),
            node.HttpEndpoint?.AbsoluteUri.TrimEnd('/'),
            node.ProcessId,
            node.StartedAt,
            node.UptimeAt(now) is { } uptime ? Math.Round(uptime.TotalSeconds, 1) : null,
            node.ExitedAt,
            node.ExitCode,
            node.RestartCount,
            node.LastError,
            current?.RoutingTableSize,
            current?.StoredKeys,
            current?.KeysByOrigin,
            current?.Time,
            node.NodeId is null ? null : IdSpace.RingPosition(node.NodeId));
    }
}

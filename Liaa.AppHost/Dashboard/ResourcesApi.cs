using Liaa.AppHost.Orchestration;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// The Resources page's API: the nodes, their lifecycle (add, start, stop, restart, kill, remove),
/// their console output, and an overview for the header.
/// </summary>
/// <remarks>
/// Lifecycle requests run to completion even if the browser goes away (a half-done start is worse
/// than a finished one nobody watches); each is bounded by the cluster's own start and stop timeouts
/// and ends when the cluster is disposed.
/// </remarks>
internal static class ResourcesApi
{
    private const int DefaultConsoleLines = 500;

    public static void Map(RouteGroupBuilder api, LiaaDashboard dashboard)
    {
        api.MapGet("/overview", () => DashboardJson.Ok(Overview(dashboard)));
        api.MapGet("/nodes", () => DashboardJson.Ok(dashboard.NodeViews()));
        api.MapGet("/nodes/{name}", (string name) =>
            dashboard.TryFind(name, out var node) ? DashboardJson.Ok(dashboard.ViewOf(node)) : NotFound(name));
        api.MapPost("/nodes", () => RunAsync(dashboard, null, async () => await dashboard.Cluster.AddNodeAsync(CancellationToken.None).ConfigureAwait(false), created: true));
        api.MapDelete("/nodes/{name}", (string name) => RunAsync(dashboard, name, async () =>
        {
            await dashboard.Cluster.RemoveNodeAsync(name, CancellationToken.None).ConfigureAwait(false);
            return null;
        }));
        api.MapPost("/nodes/{name}/{action}", (string name, string action) => action switch
        {
            "start" => RunAsync(dashboard, name, async () => await dashboard.Cluster.StartNodeAsync(name, CancellationToken.None).ConfigureAwait(false)),
            "restart" => RunAsync(dashboard, name, async () => await dashboard.Cluster.RestartNodeAsync(name, CancellationToken.None).ConfigureAwait(false)),
            "stop" => RunAsync(dashboard, name, async () =>
            {
                await dashboard.Cluster.StopNodeAsync(name, CancellationToken.None).ConfigureAwait(false);
                return dashboard.Cluster[name];
            }),
            "kill" => RunAsync(dashboard, name, async () =>
            {
                await dashboard.Cluster.KillNodeAsync(name, CancellationToken.None).ConfigureAwait(false);
                return dashboard.Cluster[name];
            }),
            _ => Task.FromResult(DashboardJson.Problem(StatusCodes.Status404NotFound, "Unknown action", $"'{action}' is not start, stop, restart or kill.")),
        });
        api.MapGet("/nodes/{name}/console", (string name, long? after, int? limit) =>
        {
            if (!dashboard.TryFind(name, out var node))
            {
                return NotFound(name);
            }

            var count = Math.Clamp(limit ?? DefaultConsoleLines, 1, node.ConsoleLog.Capacity);
            var lines = after is { } sequence ? node.ConsoleLog.After(sequence) : node.ConsoleLog.Tail(count);
            return DashboardJson.Ok(new ConsoleView(
                name,
                node.ConsoleLog.LastSequence,
                [.. lines.TakeLast(count).Select(l => new ConsoleLineView(l.Sequence, l.Timestamp, l.Stream, l.Text))]));
        });
    }

    internal static OverviewView Overview(LiaaDashboard dashboard)
    {
        var snapshots = dashboard.Cluster.Nodes.Select(n => n.Snapshot).ToList();
        var nodes = snapshots.Select(n => n.State).ToList();
        var services = dashboard.Store.GetServices();
        return new OverviewView(
            nodes.Count,
            nodes.Count(s => s == NodeState.Healthy),
            nodes.Count(s => s.IsRunning()),
            snapshots.FirstOrDefault(n => n.IsSeed)?.UdpEndpoint?.ToString(),
            dashboard.Cluster.PrometheusUrl?.AbsoluteUri,
            services.Sum(s => s.Spans),
            services.Sum(s => s.LogRecords),
            services.Sum(s => s.MetricPoints),
            dashboard.Store.Version);
    }

    private static async Task<IResult> RunAsync(LiaaDashboard dashboard, string? name, Func<Task<ClusterNode?>> action, bool created = false)
    {
        if (name is not null && !dashboard.TryFind(name, out _))
        {
            return NotFound(name);
        }

        try
        {
            var node = await action().ConfigureAwait(false);
            if (node is null)
            {
                return Results.NoContent();
            }

            var view = dashboard.ViewOf(node);
            return created ? Results.Json(view, DashboardJson.Options, statusCode: StatusCodes.Status201Created) : DashboardJson.Ok(view);
        }
        catch (KeyNotFoundException)
        {
            return NotFound(name ?? string.Empty);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException)
        {
            return DashboardJson.Problem(StatusCodes.Status409Conflict, "Not possible now", exception.Message);
        }
        catch (Exception exception) when (exception is NodeStartException or TimeoutException or OperationCanceledException)
        {
            return DashboardJson.Problem(StatusCodes.Status502BadGateway, "The node did not start", exception.Message);
        }
    }

    private static IResult NotFound(string name) =>
        DashboardJson.Problem(StatusCodes.Status404NotFound, "No such node", $"There is no node named '{name}'.");
}

/// <summary>The header's numbers: nodes by state, where the seed is, how much telemetry is held.</summary>
internal sealed record OverviewView(
    int Nodes,
    int Healthy,
    int Running,
    string? SeedEndpoint,
    string? PrometheusUrl,
    int Spans,
    int LogRecords,
    int MetricPoints,
    long TelemetryVersion);

/// <summary>A node's console lines; <see cref="Last"/> is the sequence to pass as <c>after</c> next time.</summary>
internal sealed record ConsoleView(string Node, long Last, IReadOnlyList<ConsoleLineView> Lines);

internal sealed record ConsoleLineView(long Sequence, DateTimeOffset Time, ConsoleStream Stream, string Text);

using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace Liaa.AppHost.Prometheus;

/// <summary>
/// Keeps Prometheus's file_sd targets file equal to the nodes' HTTP endpoints: one target group per
/// node labelled <c>node="node-N"</c>, rewritten (atomically, by rename) whenever a node's resource
/// changes and the content differs. Prometheus watches the file, so a restarted node is scraped again
/// without a reload.
/// </summary>
internal sealed class PrometheusTargets(IReadOnlyList<IResourceWithEndpoints> nodes, string path, ResourceNotificationService notifications) : BackgroundService
{
    private string _written = "[]";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken).ConfigureAwait(false))
            {
                if (nodes.Any(n => n.Name == change.Resource.Name))
                {
                    Write();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private void Write()
    {
        var groups = nodes
            .Select(n => n.GetEndpoint("http"))
            .Where(e => e.IsAllocated)
            .Select(e => new { targets = new[] { $"{e.Host}:{e.Port}" }, labels = new Dictionary<string, string> { ["node"] = e.Resource.Name } })
            .ToList();
        var json = JsonSerializer.Serialize(groups);
        if (json == _written)
        {
            return;
        }

        var temporary = path + ".tmp";
        File.WriteAllText(temporary, json);
        File.Move(temporary, path, overwrite: true);
        _written = json;
    }
}

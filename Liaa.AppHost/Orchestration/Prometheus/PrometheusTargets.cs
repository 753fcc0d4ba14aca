using System.Text.Json;

namespace Liaa.AppHost.Orchestration.Prometheus;

/// <summary>
/// The file-based service discovery file (<c>file_sd</c>, JSON): one target group per running node,
/// labelled <c>node=&lt;name&gt;</c>. Written atomically (a temporary file renamed over the old one) so
/// Prometheus never reads half a file.
/// </summary>
internal static class PrometheusTargets
{
    /// <summary>One scrape target: the node's name and its HTTP <c>host:port</c>.</summary>
    public readonly record struct Target(string Node, string HostPort);

    /// <summary>The targets for the nodes that have a process (starting, healthy or unhealthy), in name order.</summary>
    public static IReadOnlyList<Target> From(IEnumerable<NodeSnapshot> nodes) =>
        nodes
            .Where(n => n.State is NodeState.Starting or NodeState.Healthy or NodeState.Unhealthy && n.HttpEndpoint is not null)
            .OrderBy(n => n.Index)
            .Select(n => new Target(n.Name, n.HttpEndpoint!.Authority))
            .ToList();

    public static string Render(IEnumerable<Target> targets)
    {
        var groups = targets.Select(t => new Dictionary<string, object>
        {
            ["targets"] = new[] { t.HostPort },
            ["labels"] = new Dictionary<string, string> { ["node"] = t.Node },
        });
        return JsonSerializer.Serialize(groups, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> in one rename.</summary>
    public static void WriteAtomically(string path, string content)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

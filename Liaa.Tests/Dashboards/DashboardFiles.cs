using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// The files under <c>dashboards/</c> in the repository, read where they are (not copied into the
/// test output) so the tests check exactly what users import.
/// </summary>
internal static partial class DashboardFiles
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository's <c>dashboards/</c> folder.</summary>
    public static string Directory => Root.Value;

    public static string GrafanaDashboards => Path.Combine(Directory, "grafana", "dashboards");

    public static string PrometheusConfig => Path.Combine(Directory, "prometheus", "prometheus.yml");

    public static string AlertRules => Path.Combine(Directory, "prometheus", "rules", "liaa-alerts.yml");

    public static string AlertRuleTests => Path.Combine(Directory, "prometheus", "rules", "liaa-alerts.test.yml");

    public static string DatasourceProvisioning => Path.Combine(Directory, "grafana", "provisioning", "datasources", "liaa-prometheus.yml");

    public static string DashboardProvisioning => Path.Combine(Directory, "grafana", "provisioning", "dashboards", "liaa.yml");

    public static string Readme => Path.Combine(Directory, "README.md");

    /// <summary>Every dashboard JSON file, by file name, in name order.</summary>
    public static IReadOnlyList<GrafanaDashboard> LoadDashboards() =>
        System.IO.Directory.GetFiles(GrafanaDashboards, "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => new GrafanaDashboard(Path.GetFileName(path), JsonNode.Parse(File.ReadAllText(path))!.AsObject()))
            .ToList();

    /// <summary>The <c>uid</c> the datasource provisioning file gives the Prometheus datasource.</summary>
    public static string ProvisionedDatasourceUid()
    {
        var matches = UidLine().Matches(File.ReadAllText(DatasourceProvisioning));
        Assert.True(matches.Count == 1, $"{DatasourceProvisioning} must declare exactly one datasource uid (found {matches.Count}).");
        return matches[0].Groups[1].Value;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "dashboards");
            if (File.Exists(Path.Combine(directory.FullName, "Liaa.Aspire.sln")) && System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No dashboards/ folder next to Liaa.Aspire.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^\s*uid:\s*['""]?([\w.-]+)['""]?\s*$", RegexOptions.Multiline)]
    private static partial Regex UidLine();
}

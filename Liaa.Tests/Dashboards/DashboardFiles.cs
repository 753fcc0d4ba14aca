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
    public static IReadOnlyList<Dashboard> LoadDashboards() =>
        System.IO.Directory.GetFiles(GrafanaDashboards, "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => new Dashboard(Path.GetFileName(path), JsonNode.Parse(File.ReadAllText(path))!.AsObject()))
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

/// <summary>One Grafana dashboard and the parts of it the tests look at.</summary>
internal sealed record Dashboard(string FileName, JsonObject Json)
{
    public string Uid => (string)Json["uid"]!;

    public string Title => (string)Json["title"]!;

    /// <summary>Every panel, rows included, and the panels inside collapsed rows.</summary>
    public IEnumerable<JsonObject> AllPanels =>
        Json["panels"]!.AsArray().Select(p => p!.AsObject())
            .SelectMany(p => new[] { p }.Concat(p["panels"]?.AsArray().Select(n => n!.AsObject()) ?? []));

    /// <summary>The panels that query something (not rows).</summary>
    public IEnumerable<JsonObject> QueryPanels => AllPanels.Where(p => (string?)p["type"] != "row");

    public IEnumerable<(JsonObject Panel, JsonObject Target)> Targets =>
        QueryPanels.SelectMany(p => (p["targets"]?.AsArray() ?? []).Select(t => (p, t!.AsObject())));

    public IEnumerable<JsonObject> Variables => Json["templating"]?["list"]?.AsArray().Select(v => v!.AsObject()) ?? [];

    /// <summary>The variables whose values come from a Prometheus query (not the datasource picker).</summary>
    public IEnumerable<JsonObject> QueryVariables => Variables.Where(v => (string?)v["type"] == "query");

    /// <summary>The PromQL-like query of a query variable (<c>label_values(...)</c>).</summary>
    public static string? VariableQuery(JsonObject variable) =>
        variable["query"] switch
        {
            JsonObject query => (string?)query["query"],
            JsonValue text => (string?)text,
            _ => null,
        };

    public override string ToString() => FileName;
}

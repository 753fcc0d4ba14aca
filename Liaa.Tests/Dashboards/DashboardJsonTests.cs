using System.Text.Json.Nodes;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// The Grafana dashboards as files: what Grafana needs to load them and what keeps them honest
/// (every datasource resolves to the provisioned one, every variable is defined, the README names
/// every panel and its metrics). Whether their queries return data is DashboardLiveTests.
/// </summary>
public sealed class DashboardJsonTests
{
    private const string DatasourceVariable = "${datasource}";

    private static readonly IReadOnlyList<GrafanaDashboard> Dashboards = DashboardFiles.LoadDashboards();

    [Fact]
    public void Folder_HoldsTheThreeDashboards()
    {
        Assert.Equal(
            [("liaa-cluster-overview.json", "liaa-cluster-overview"), ("liaa-lookups.json", "liaa-lookups"), ("liaa-node.json", "liaa-node")],
            Dashboards.Select(d => (d.FileName, d.Uid)));
    }

    [Fact]
    public void Dashboards_HaveDistinctTitles_AndTheLiaaTag()
    {
        Assert.Equal(Dashboards.Count, Dashboards.Select(d => d.Title).Distinct().Count());
        Assert.All(Dashboards, d => Assert.Contains("liaa", d.Json["tags"]!.AsArray().Select(t => (string?)t)));
    }

    [Fact]
    public void PanelIds_AreUnique_WithinEachDashboard()
    {
        foreach (var dashboard in Dashboards)
        {
            var ids = dashboard.AllPanels.Select(p => (int)p["id"]!).ToList();
            var duplicates = ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, $"{dashboard}: panel ids used twice: {string.Join(", ", duplicates)}");
            Assert.All(ids, id => Assert.True(id > 0, $"{dashboard}: panel id {id}"));
        }
    }

    [Fact]
    public void Panels_FitTheGrid_WithoutOverlapping()
    {
        foreach (var dashboard in Dashboards)
        {
            var boxes = dashboard.Json["panels"]!.AsArray().Select(p => (Title: (string)p!["title"]!, Box: GridBox(p!.AsObject()))).ToList();
            foreach (var (title, (x, y, w, h)) in boxes)
            {
                Assert.True(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24, $"{dashboard}: '{title}' at x={x} y={y} w={w} h={h} is off the 24-column grid");
            }

            for (var i = 0; i < boxes.Count; i++)
            {
                for (var j = i + 1; j < boxes.Count; j++)
                {
                    Assert.False(Overlap(boxes[i].Box, boxes[j].Box), $"{dashboard}: '{boxes[i].Title}' and '{boxes[j].Title}' overlap");
                }
            }
        }
    }

    [Fact]
    public void DatasourceReferences_ResolveToTheProvisionedPrometheus()
    {
        var uid = DashboardFiles.ProvisionedDatasourceUid();
        Assert.Equal("liaa-prometheus", uid);
        foreach (var dashboard in Dashboards)
        {
            var variable = Assert.Single(dashboard.Variables, v => (string?)v["type"] == "datasource");
            Assert.Equal(("datasource", "prometheus", uid), ((string?)variable["name"], (string?)variable["query"], (string?)variable["current"]?["value"]));

            foreach (var (path, reference) in DatasourceReferences(dashboard.Json, "$"))
            {
                var type = (string?)reference["type"];
                var target = (string?)reference["uid"];
                var isBuiltInAnnotation = path.StartsWith("$.annotations", StringComparison.Ordinal) && (type, target) == ("grafana", "-- Grafana --");
                Assert.True(
                    isBuiltInAnnotation || (type == "prometheus" && (target == DatasourceVariable || target == uid)),
                    $"{dashboard}: {path} refers to datasource {type}/{target}, not the provisioned prometheus/{uid}");
            }

            foreach (var panel in dashboard.QueryPanels)
            {
                Assert.True(panel["datasource"] is JsonObject, $"{dashboard}: panel '{panel["title"]}' names no datasource");
                Assert.All(panel["targets"]!.AsArray(), t => Assert.True(t!["datasource"] is JsonObject, $"{dashboard}: a target of '{panel["title"]}' names no datasource"));
            }

            foreach (var queryVariable in dashboard.QueryVariables)
            {
                Assert.True(queryVariable["datasource"] is JsonObject, $"{dashboard}: variable {queryVariable["name"]} names no datasource");
            }
        }
    }

    [Fact]
    public void Targets_HaveAnExpression_AndDistinctRefIds()
    {
        foreach (var dashboard in Dashboards)
        {
            foreach (var panel in dashboard.QueryPanels)
            {
                var targets = panel["targets"]?.AsArray().Select(t => t!.AsObject()).ToList() ?? [];
                Assert.True(targets.Count > 0, $"{dashboard}: panel '{panel["title"]}' has no target");
                Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace((string?)t["expr"]), $"{dashboard}: '{panel["title"]}' has an empty expression"));
                Assert.Equal(targets.Count, targets.Select(t => (string?)t["refId"]).Distinct().Count());
            }
        }
    }

    [Fact]
    public void Queries_UseOnlyDefinedOrBuiltInVariables()
    {
        foreach (var dashboard in Dashboards)
        {
            var defined = dashboard.Variables.Select(v => (string)v["name"]!).ToHashSet(StringComparer.Ordinal);
            var queries = dashboard.Targets.Select(t => (string)t.Target["expr"]!)
                .Concat(dashboard.QueryVariables.Select(GrafanaDashboard.VariableQuery).OfType<string>());
            foreach (var query in queries)
            {
                var unknown = GrafanaVariables.Referenced(query).Where(v => !defined.Contains(v) && !GrafanaVariables.BuiltIn.Contains(v)).ToList();
                Assert.True(unknown.Count == 0, $"{dashboard}: undefined variable {string.Join(", ", unknown)} in {query}");
            }
        }
    }

    [Fact]
    public void NodeDashboard_HasANodeVariable_AndShowsBucketFillAsBarGaugeAndHeatmap()
    {
        var node = Assert.Single(Dashboards, d => d.Uid == "liaa-node");
        Assert.Contains(node.Variables, v => (string?)v["name"] == "node" && GrafanaDashboard.VariableQuery(v)!.Contains("node", StringComparison.Ordinal));
        var fillPanels = node.QueryPanels
            .Where(p => p["targets"]!.AsArray().Any(t => PromQlNames.MetricNames((string)t!["expr"]!).Contains("liaa_routing_bucket_fill")))
            .Select(p => (string)p["type"]!)
            .Order(StringComparer.Ordinal);
        Assert.Equal(["bargauge", "heatmap"], fillPanels);
        Assert.All(node.Targets, t => Assert.Contains("node=\"$node\"", (string)t.Target["expr"]!, StringComparison.Ordinal));
    }

    [Fact]
    public void Readme_NamesEveryPanel_AndTheMetricsItUses()
    {
        var readme = File.ReadAllLines(DashboardFiles.Readme);
        foreach (var dashboard in Dashboards)
        {
            var section = readme.SkipWhile(l => !(l.StartsWith("### ", StringComparison.Ordinal) && l.Contains(dashboard.FileName, StringComparison.Ordinal))).Skip(1)
                .TakeWhile(l => !l.StartsWith("#", StringComparison.Ordinal)).ToList();
            Assert.True(section.Count > 0, $"README.md has no ### section naming {dashboard.FileName}");
            foreach (var panel in dashboard.QueryPanels)
            {
                var title = (string)panel["title"]!;
                var row = section.FirstOrDefault(l => l.StartsWith($"| {title} |", StringComparison.Ordinal));
                Assert.True(row is not null, $"README.md, {dashboard.FileName}: no row for panel '{title}'");
                var metrics = panel["targets"]!.AsArray().SelectMany(t => PromQlNames.MetricNames((string)t!["expr"]!)).Distinct();
                foreach (var metric in metrics)
                {
                    Assert.True(row.Contains($"`{metric}`", StringComparison.Ordinal), $"README.md, {dashboard.FileName}: the row of '{title}' does not name `{metric}`");
                }
            }
        }
    }

    [Fact]
    public void DashboardProvider_LoadsJsonFilesIntoTheLiaaFolder()
    {
        var provider = File.ReadAllText(DashboardFiles.DashboardProvisioning);
        Assert.Contains("type: file", provider, StringComparison.Ordinal);
        Assert.Contains("folder: Liaa", provider, StringComparison.Ordinal);
        Assert.Contains("path: /var/lib/grafana/dashboards/liaa", provider, StringComparison.Ordinal);
    }

    private static (int X, int Y, int W, int H) GridBox(JsonObject panel)
    {
        var grid = panel["gridPos"]!;
        return ((int)grid["x"]!, (int)grid["y"]!, (int)grid["w"]!, (int)grid["h"]!);
    }

    private static bool Overlap((int X, int Y, int W, int H) a, (int X, int Y, int W, int H) b) =>
        a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;

    /// <summary>Every <c>"datasource": { ... }</c> object anywhere in the dashboard, with its JSON path.</summary>
    private static IEnumerable<(string Path, JsonObject Reference)> DatasourceReferences(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (name == "datasource" && value is JsonObject reference)
                    {
                        yield return ($"{path}.{name}", reference);
                    }
                    else
                    {
                        foreach (var found in DatasourceReferences(value, $"{path}.{name}"))
                        {
                            yield return found;
                        }
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var found in DatasourceReferences(array[i], $"{path}[{i}]"))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }
}

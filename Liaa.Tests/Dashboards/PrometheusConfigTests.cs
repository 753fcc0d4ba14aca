using System.Net;
using System.Text.Json;
using Liaa.Tests.ServiceDefaults;

namespace Liaa.Tests.Dashboards;

/// <summary><c>promtool</c> on the shipped Prometheus configuration and alert rules, as they are in the repository.</summary>
[Trait("Category", "Integration")]
public sealed class PrometheusConfigTests
{
    private const string Promtool = "/usr/bin/promtool";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CheckConfig_Passes_ForTheShippedPrometheusYml()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);

        var (exitCode, output, errors) = await ToolProcess.RunAsync(Promtool, ["check", "config", DashboardFiles.PrometheusConfig], string.Empty, ToolTimeout);

        Assert.True(exitCode == 0, $"promtool check config: exit {exitCode}\n{output}\n{errors}");
        Assert.Contains("SUCCESS: 1 rule files found", output + errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckRules_Passes_AndFindsTheFiveAlerts()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);

        var (exitCode, output, errors) = await ToolProcess.RunAsync(Promtool, ["check", "rules", DashboardFiles.AlertRules], string.Empty, ToolTimeout);

        Assert.True(exitCode == 0, $"promtool check rules: exit {exitCode}\n{output}\n{errors}");
        Assert.Contains("SUCCESS: 5 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestRules_Pass_ForEveryAlertFiringOnlyWhereItShould()
    {
        ToolProcess.SkipUnlessInstalled(Promtool);

        var (exitCode, output, errors) = await ToolProcess.RunAsync(Promtool, ["test", "rules", DashboardFiles.AlertRuleTests], string.Empty, ToolTimeout);

        Assert.True(exitCode == 0, $"promtool test rules: exit {exitCode}\n{output}\n{errors}");
        var rules = File.ReadAllText(DashboardFiles.AlertRules);
        var tests = File.ReadAllText(DashboardFiles.AlertRuleTests);
        foreach (var alert in new[] { "LiaaNodeDown", "LiaaRpcTimeoutRatioHigh", "LiaaLookupsFailing", "LiaaStoreNearLimit", "LiaaRoutingTableNearlyEmpty" })
        {
            Assert.Contains($"alert: {alert}", rules, StringComparison.Ordinal);
            Assert.Contains($"alertname: {alert}", tests, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ExampleTargets_AreFileSdGroups_OfOneNodeEach_WithUniqueNodeLabels()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(DashboardFiles.Directory, "prometheus", "targets.example.json")));

        var groups = document.RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.True(IPEndPoint.TryParse(Assert.Single(g.GetProperty("targets").EnumerateArray()).GetString()!, out var endpoint) && endpoint.Port > 0));
        var nodes = groups.Select(g => g.GetProperty("labels").GetProperty("node").GetString()).ToList();
        Assert.Equal(nodes.Count, nodes.Distinct().Count());
    }
}

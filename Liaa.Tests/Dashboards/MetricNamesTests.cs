using System.Diagnostics.Metrics;
using System.Net;
using System.Text.RegularExpressions;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;
using Liaa.Tests.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// Every <c>liaa_*</c> name the dashboards and alert rules query is one that OpenTelemetry's Prometheus
/// exporter serves for the node's instruments. A node's own <c>/metrics</c> would show only what has
/// happened, so every instrument of <see cref="NodeMetrics"/> is fed once, on a host built like a node.
/// </summary>
public sealed partial class MetricNamesTests
{
    [Fact]
    public async Task DashboardsAndAlertRules_QueryOnlyNamesTheNodeServes()
    {
        await using var node = await NodeOnAHost.StartAsync();
        FeedEveryInstrument(node.Metrics);
        var served = SeriesNames(await node.MetricsTextAsync());

        var queried = DashboardFiles.LoadDashboards()
            .SelectMany(d => d.Targets.Select(t => (string)t.Target["expr"]!).Concat(d.QueryVariables.Select(v => GrafanaDashboard.VariableQuery(v) ?? string.Empty)))
            .Concat(RuleExpressions(File.ReadAllText(DashboardFiles.AlertRules)))
            .SelectMany(PromQlNames.MetricNames)
            .Where(name => name.StartsWith("liaa_", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        Assert.Contains("liaa_routing_bucket_fill", queried);
        Assert.Empty(queried.Except(served).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DroppedDatagrams_HaveASeriesAtZeroForEveryReason_BeforeAnyDrop()
    {
        await using var node = await NodeOnAHost.StartAsync();
        var exposition = await node.MetricsTextAsync();

        // The listener is process-wide (DESIGN.md): a node of a test running beside this one may add its own drops, never remove a series.
        var shown = DropSeries().Matches(exposition).Select(m => m.Groups["reason"].Value).ToHashSet(StringComparer.Ordinal);
        var reasons = Enum.GetValues<DropReason>().Where(r => r != DropReason.None).Select(RpcMetricsObserver.DropReasonName).ToList();
        Assert.Equal(20, reasons.Count);
        var missing = reasons.Where(reason => !shown.Contains(reason)).ToList();
        Assert.True(missing.Count == 0, $"no liaa_datagrams_dropped_total series for: {string.Join(", ", missing)}");
    }

    private static void FeedEveryInstrument(NodeMetrics metrics)
    {
        var rpc = new RpcMetricsObserver(metrics);
        rpc.OnClientCompleted(RpcMethod.FindNode, RpcStatus.Timeout, TimeSpan.FromMilliseconds(5), responseBytes: 0);
        rpc.OnServerRequest(RpcMethod.Ping);
        rpc.OnDropped(DropReason.TooShort);
        rpc.OnReplyTrimmed(RpcMethod.FindNode);
        metrics.ReplyWithheld();
        metrics.ContactRefused("subnet");
        metrics.LookupDeadlineExceeded(LookupKind.FindValue);
        metrics.StoreReceived(stored: true);
        metrics.LookupCompleted(LookupKind.FindValue, TimeSpan.FromMilliseconds(3), rounds: 2, found: true);
        metrics.Replicated(1);
        metrics.Republished(1);
        metrics.Refreshed(1);
        metrics.Expired(1);
        metrics.ContactAdded();
        metrics.ContactEvicted();
    }

    private static HashSet<string> SeriesNames(string exposition) =>
        [.. SeriesLine().Matches(exposition).Select(m => m.Groups[1].Value)];

    /// <summary>The <c>expr:</c> values of a rules file, single-line or <c>|</c> blocks.</summary>
    private static IEnumerable<string> RuleExpressions(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var match = ExprLine().Match(lines[i]);
            if (!match.Success)
            {
                continue;
            }

            if (match.Groups[2].Value.Trim() is { Length: > 0 } inline && inline != "|")
            {
                yield return inline;
                continue;
            }

            var indent = match.Groups[1].Value.Length;
            var block = lines.Skip(i + 1).TakeWhile(l => l.Trim().Length == 0 || l.Length - l.TrimStart().Length > indent);
            yield return string.Join('\n', block);
        }
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();

    [GeneratedRegex(@"^liaa_datagrams_dropped_total\{[^}]*liaa_drop_reason=""(?<reason>[a-z_]+)""[^}]*\} ", RegexOptions.Multiline)]
    private static partial Regex DropSeries();

    [GeneratedRegex(@"^(\s*)expr:(.*)$")]
    private static partial Regex ExprLine();

    /// <summary>A node reporting to the meters of a host built like a node's, whose <c>/metrics</c> serves them; stopped together.</summary>
    private sealed class NodeOnAHost : IAsyncDisposable
    {
        private readonly ServiceDefaultsTestApp _app;
        private readonly LiaaNode _node;

        private NodeOnAHost(ServiceDefaultsTestApp app, NodeMetrics metrics, LiaaNode node)
        {
            _app = app;
            Metrics = metrics;
            _node = node;
        }

        public NodeMetrics Metrics { get; }

        public static async Task<NodeOnAHost> StartAsync()
        {
            var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
            var metrics = new NodeMetrics(app.App.Services.GetRequiredService<IMeterFactory>());
            var node = await LiaaNode.StartAsync(
                new LiaaNodeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
                metrics: metrics,
                cancellationToken: TestContext.Current.CancellationToken);
            return new NodeOnAHost(app, metrics, node);
        }

        public async Task<string> MetricsTextAsync()
        {
            using var http = new HttpClient { BaseAddress = _app.BaseAddress };
            return await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await _node.DisposeAsync();
            Metrics.Dispose();
            await _app.DisposeAsync();
        }
    }
}

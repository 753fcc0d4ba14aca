using Liaa.AppHost.Orchestration;
using Liaa.Tests.Dashboard.Browser;

namespace Liaa.Tests.Dashboard;

/// <summary>
/// The dashboard as a user sees it: headless Chromium against the AppHost's web application and a
/// live cluster. Screenshots of every page are kept under <c>artifacts/screenshots/dashboard/</c>.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DashboardBrowserTests
{
    private const int Nodes = 3;
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Dashboard_ListsNodes_PutsThroughTheForm_OpensItsTrace_AndStopsANode()
    {
        var chromium = HeadlessChromium.FindExecutable();
        Assert.SkipWhen(chromium is null, "chromium is not installed (apt-get install chromium)");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(100));
        var cancellationToken = bound.Token;
        var shots = Screenshots.Directory("dashboard");

        await using var host = await DashboardTestHost.StartAsync(Nodes, cancellationToken);
        await using var browser = await HeadlessChromium.LaunchAsync(chromium!, cancellationToken);
        var page = await browser.OpenPageAsync(1440, 900, cancellationToken);
        async Task ShotAsync(string name, bool fullPage = false)
        {
            var path = Path.Combine(shots, name + ".png");
            await page.ScreenshotAsync(path, fullPage, cancellationToken);
            TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {path}");
        }

        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/resources"), cancellationToken);
        var listed = await page.WaitForAsync(
            $"document.querySelectorAll('#nodes tr[data-state=healthy] td.routing').length === {Nodes}"
            + " && [...document.querySelectorAll('#nodes td.routing')].every(td => /^\\d+$/.test(td.textContent))"
            + " && [...document.querySelectorAll('#nodes tr[data-node]')].map(r => r.dataset.node).join()",
            StepTimeout,
            cancellationToken);
        Assert.Equal("node-0,node-1,node-2", listed?.GetValue<string>());
        await ShotAsync("1-resources");

        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/try"), cancellationToken);
        await page.WaitForAsync($"document.querySelectorAll('#try-node option').length === {Nodes}", StepTimeout, cancellationToken);
        await page.FillAsync("#try-node", "node-1", cancellationToken);
        await page.FillAsync("#try-key", "dashboard-greeting", cancellationToken);
        await page.FillAsync("#try-value", "hello from the browser", cancellationToken);
        await page.ClickAsync("#try-put", cancellationToken);
        var traceId = (await page.WaitForAsync("document.querySelector('#try-result .result.good')?.dataset.trace", StepTimeout, cancellationToken))?.GetValue<string>();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        await ShotAsync("2-try-put");

        await page.ClickAsync("#try-trace-link", cancellationToken);
        var traceNodes = await page.WaitForAsync(
            $"location.hash === '#/trace/{traceId}' && (() => {{"
            + " const nodes = [...new Set([...document.querySelectorAll('#waterfall tr.span-row')].map(r => r.dataset.node).filter(n => n.startsWith('node-')))].sort();"
            + " const server = [...document.querySelectorAll('#waterfall tr.span-row')].some(r => r.textContent.includes('PUT /v1/values/'));"
            + $" return nodes.length === {Nodes} && server && nodes.join(); }})()",
            StepTimeout,
            cancellationToken);
        Assert.Equal("node-0,node-1,node-2", traceNodes?.GetValue<string>());
        var storesServed = await page.EvaluateAsync(
            "[...document.querySelectorAll('#waterfall tr.span-row')].filter(r => r.textContent.includes('kademlia/STORE') && r.dataset.node !== 'node-1').length",
            cancellationToken);
        Assert.True(storesServed?.GetValue<int>() >= 1, "the trace shows STORE spans served by other nodes");
        await page.ClickAsync("#waterfall tr.span-row[data-node=\"node-0\"]", cancellationToken);
        var attributes = await page.WaitForAsync("document.querySelector('#waterfall tr.span-detail table.attributes')?.textContent", StepTimeout, cancellationToken);
        Assert.Contains("rpc.method", attributes?.GetValue<string>(), StringComparison.Ordinal);
        await ShotAsync("3-trace", fullPage: true);
        Assert.Equal(["node-0", "node-1", "node-2"], host.Store.GetTrace(traceId!).Select(s => s.Service.ServiceName).Where(n => n.StartsWith("node-", StringComparison.Ordinal)).Distinct().Order());

        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/metrics"), cancellationToken);
        await page.WaitForAsync($"document.querySelectorAll('#bucket-heatmap rect[data-column=\"0\"]').length === {Nodes} && document.querySelectorAll('#metric-charts figure').length === 4", StepTimeout, cancellationToken);
        await ShotAsync("4-metrics");

        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/dht?node=node-1&key=dashboard-greeting"), cancellationToken);
        await page.WaitForAsync(
            $"document.querySelectorAll('#dht-ring g.ring-node').length === {Nodes} && document.querySelectorAll('#holders tr.holds').length === {Nodes} && document.querySelector('#routing-table .bucket')",
            StepTimeout,
            cancellationToken);
        await ShotAsync("5-dht");

        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/resources"), cancellationToken);
        await page.WaitForAsync("document.querySelector('#nodes tr[data-node=\"node-2\"] button[data-action=stop]:not([disabled])')", StepTimeout, cancellationToken);
        await page.ClickAsync("#nodes tr[data-node=\"node-2\"] button[data-action=stop]", cancellationToken);
        var shown = await page.WaitForAsync(
            "document.querySelector('#nodes tr[data-node=\"node-2\"][data-state=stopped] td.state')?.textContent",
            StepTimeout,
            cancellationToken);
        Assert.StartsWith("stopped", shown?.GetValue<string>());
        Assert.Equal(NodeState.Stopped, host.Cluster["node-2"].State);
        await page.WaitForAsync("document.querySelector('#overview')?.textContent.includes('2/3 nodes healthy')", StepTimeout, cancellationToken);
        await ShotAsync("6-resources-node-2-stopped");

        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/logs"), cancellationToken);
        await page.WaitForAsync("document.querySelectorAll('#logs tbody tr').length > 0", StepTimeout, cancellationToken);
        await ShotAsync("7-logs");
        await page.NavigateAsync(new Uri(host.DashboardUrl, "#/traces"), cancellationToken);
        await page.WaitForAsync($"document.querySelector('#traces tr[data-trace=\"{traceId}\"]')", StepTimeout, cancellationToken);
        await ShotAsync("8-traces");
    }
}

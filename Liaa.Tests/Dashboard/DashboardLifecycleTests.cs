using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Liaa.AppHost.Hosting;
using Liaa.AppHost.Orchestration;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Dashboard;

/// <summary>
/// The Resources and Try-it API against live stand-in node processes (they start in a fraction of a
/// second): add, stop, start, restart and remove nodes, read a console, proxy a put and a get.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DashboardLifecycleTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Nodes_AreAddedStoppedStartedRestartedAndRemoved_ThroughTheApi()
    {
        Assert.SkipUnless(StandInNode.IsAvailable, "the stand-in node needs /usr/bin/python3");
        await using var host = await StartAsync(2);
        using var http = Client(host.Web);

        using var added = await http.PostAsync("/api/nodes", null, Cancellation);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(("node-2", "healthy"), await NameAndStateAsync(added));

        using var stopped = await http.PostAsync("/api/nodes/node-1/stop", null, Cancellation);
        Assert.Equal(("node-1", "stopped"), await NameAndStateAsync(stopped));
        Assert.Equal(NodeState.Stopped, host.Cluster["node-1"].State);

        using var started = await http.PostAsync("/api/nodes/node-1/start", null, Cancellation);
        Assert.Equal(("node-1", "healthy"), await NameAndStateAsync(started));

        using var restarted = await http.PostAsync("/api/nodes/node-1/restart", null, Cancellation);
        using var restartedView = JsonDocument.Parse(await restarted.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(2, restartedView.RootElement.GetProperty("restartCount").GetInt32());

        using var removed = await http.DeleteAsync("/api/nodes/node-2", Cancellation);
        using var seedRemoval = await http.DeleteAsync("/api/nodes/node-0", Cancellation);
        using var unknownAction = await http.PostAsync("/api/nodes/node-0/explode", null, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, seedRemoval.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownAction.StatusCode);
        using var nodes = JsonDocument.Parse(await http.GetStringAsync("/api/nodes", Cancellation));
        Assert.Equal(["node-0", "node-1"], nodes.RootElement.EnumerateArray().Select(n => n.GetProperty("name").GetString()));

        using var console = JsonDocument.Parse(await http.GetStringAsync("/api/nodes/node-1/console", Cancellation));
        var lines = console.RootElement.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()!).ToList();
        Assert.Contains(lines, l => l.StartsWith("stand-in node-1", StringComparison.Ordinal));
        var last = console.RootElement.GetProperty("last").GetInt64();
        using var none = JsonDocument.Parse(await http.GetStringAsync($"/api/nodes/node-1/console?after={last}", Cancellation));
        Assert.Empty(none.RootElement.GetProperty("lines").EnumerateArray());
    }

    [Fact]
    public async Task TryIt_ProxiesAPutAndAGet_AndFilesItsOwnSpanUnderTheTraceItReturns()
    {
        Assert.SkipUnless(StandInNode.IsAvailable, "the stand-in node needs /usr/bin/python3");
        await using var host = await StartAsync(1);
        using var http = Client(host.Web);

        using var put = await http.PostAsJsonAsync("/api/try/put", new { node = "node-0", key = "greeting", value = "hello" }, Cancellation);
        using var putResult = JsonDocument.Parse(await put.Content.ReadAsStringAsync(Cancellation));
        using var get = await http.PostAsJsonAsync("/api/try/get", new { node = "node-0", key = "greeting" }, Cancellation);
        using var getResult = JsonDocument.Parse(await get.Content.ReadAsStringAsync(Cancellation));
        using var stoppedNode = await http.PostAsJsonAsync("/api/try/get", new { node = "node-9", key = "greeting" }, Cancellation);

        Assert.True(putResult.RootElement.GetProperty("ok").GetBoolean(), putResult.RootElement.ToString());
        // The stand-in answers every value as bytes, which the form shows as hexadecimal digits.
        Assert.Equal(("application/octet-stream", "68656c6c6f"), (getResult.RootElement.GetProperty("contentType").GetString(), getResult.RootElement.GetProperty("value").GetString()));
        Assert.Equal("a0f7e779f9247566c84036f07f7bdf4a40a869bd", getResult.RootElement.GetProperty("keyId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, stoppedNode.StatusCode);
        var traceId = putResult.RootElement.GetProperty("traceId").GetString()!;
        var span = Assert.Single(host.Web.Store.GetTrace(traceId));
        Assert.Equal(("try put via node-0", "liaa-apphost", 200L), (span.Name, span.Service.ServiceName, span.Attributes["http.response.status_code"]));
    }

    private static async Task<(string?, string?)> NameAndStateAsync(HttpResponseMessage response)
    {
        using var view = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        return (view.RootElement.GetProperty("name").GetString(), view.RootElement.GetProperty("state").GetString());
    }

    private static HttpClient Client(AppHostWebHost web) =>
        new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = web.DashboardUrl, Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<StandInHost> StartAsync(int nodes)
    {
        var web = new AppHostWebHost(new AppHostWebHostOptions { DashboardPort = 0, ContinueWithoutDashboardPort = false });
        var cluster = new LiaaCluster(TestClusters.Options(nodes, StandInNode.Program));
        try
        {
            await web.StartAsync(cluster, Cancellation);
            await cluster.StartAsync(Cancellation);
            return new StandInHost(web, cluster);
        }
        catch
        {
            await cluster.DisposeAsync();
            await web.DisposeAsync();
            throw;
        }
    }

    private sealed record StandInHost(AppHostWebHost Web, LiaaCluster Cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            await Web.DisposeAsync();
        }
    }
}

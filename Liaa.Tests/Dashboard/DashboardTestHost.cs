using Liaa.AppHost.Hosting;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Dashboard;

/// <summary>
/// The AppHost as <c>dotnet run</c> builds it, for tests: its web application (OTLP receiver and the
/// dashboard, on free ports) and a live cluster exporting to it. Disposal stops the nodes first, so
/// their last telemetry still has somewhere to go, then the web application.
/// </summary>
internal sealed class DashboardTestHost : IAsyncDisposable
{
    private DashboardTestHost(AppHostWebHost web, LiaaCluster cluster)
    {
        Web = web;
        Cluster = cluster;
    }

    public AppHostWebHost Web { get; }

    public LiaaCluster Cluster { get; }

    public TelemetryStore Store => Web.Store;

    /// <summary>The dashboard's start page, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri DashboardUrl => Web.DashboardUrl ?? throw new InvalidOperationException($"The dashboard is not served: {Web.DashboardProblem}");

    public static async Task<DashboardTestHost> StartAsync(int nodes, CancellationToken cancellationToken)
    {
        var web = new AppHostWebHost(new AppHostWebHostOptions { DashboardPort = 0, ContinueWithoutDashboardPort = false });
        LiaaCluster? cluster = null;
        try
        {
            var options = TestClusters.Options(nodes);
            options.Telemetry = web.TelemetryFor("http/protobuf");
            cluster = new LiaaCluster(options);
            await web.StartAsync(cluster, cancellationToken);
            await cluster.StartAsync(cancellationToken);
            return new DashboardTestHost(web, cluster);
        }
        catch
        {
            if (cluster is not null)
            {
                TestClusters.WriteConsoles(cluster);
                await cluster.DisposeAsync();
            }

            await web.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Web.DisposeAsync();
    }
}

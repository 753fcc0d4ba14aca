using Liaa.AppHost.Dashboard;

namespace Liaa.AppHost.Hosting;

/// <summary>The dashboard's half of the AppHost's web application: its pages and API on the dashboard listener.</summary>
internal sealed partial class AppHostWebHost
{
    static partial void MapDashboard(WebApplication app, AppHostWebHost host, ref string? startPath)
    {
        app.MapLiaaDashboard(host.Cluster, host.Store);
        startPath = "/";
    }
}

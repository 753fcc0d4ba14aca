using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// Maps the Liaa dashboard: the pages (embedded static files at <c>/</c>) and their JSON API under
/// <c>/api/</c>. One call from the AppHost's web application:
/// <code>app.MapLiaaDashboard(cluster, store);</code>
/// </summary>
/// <remarks>
/// <para>
/// Every page is drawn in the browser from <c>/api/</c>, which it polls, so everything shown is also
/// there as JSON: <c>/api/nodes</c> (and <c>POST /api/nodes</c>, <c>POST /api/nodes/{name}/start|stop|restart|kill</c>,
/// <c>DELETE /api/nodes/{name}</c>), <c>/api/nodes/{name}/console</c>, <c>/api/logs</c>,
/// <c>/api/traces</c>, <c>/api/traces/{id}</c>, <c>/api/metrics/series|buckets|keys</c>,
/// <c>/api/dht/ring</c>, <c>/api/dht/nodes/{name}/routing-table</c>, <c>/api/dht/keys/{key}</c>,
/// <c>POST /api/try/put|get</c>, <c>/api/overview</c>.
/// </para>
/// <para>
/// The dashboard listens on loopback only and has no login, like Aspire's in development. What it
/// does guard against is another web site driving it through the user's browser: requests that
/// change anything must be same-origin (see <see cref="SameOriginFilter"/>).
/// </para>
/// </remarks>
internal static class DashboardEndpoints
{
    public static TBuilder MapLiaaDashboard<TBuilder>(this TBuilder endpoints, LiaaCluster cluster, TelemetryStore store)
        where TBuilder : IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(store);
        var dashboard = new LiaaDashboard(cluster, store, new NodeClient(cluster.Options.TimeProvider));
        endpoints.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(dashboard.Dispose);

        var api = endpoints.MapGroup("/api").AddEndpointFilter(SameOriginFilter);
        ResourcesApi.Map(api, dashboard);
        TelemetryApi.Map(api, dashboard);
        DhtApi.Map(api, dashboard);
        TryItApi.Map(api, dashboard);
        DashboardAssets.Map(endpoints);
        return endpoints;
    }

    /// <summary>
    /// Refuses a request that changes something when the browser says it comes from another site
    /// (<c>Sec-Fetch-Site: cross-site</c>, or an <c>Origin</c> that is not this host). Reads pass.
    /// </summary>
    internal static async ValueTask<object?> SameOriginFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !IsSameOrigin(request))
        {
            return DashboardJson.Problem(StatusCodes.Status403Forbidden, "Cross-origin request refused", "The dashboard only accepts changes from its own pages.");
        }

        return await next(context).ConfigureAwait(false);
    }

    private static bool IsSameOrigin(HttpRequest request)
    {
        if (string.Equals(request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Liaa.AppHost;

/// <summary>
/// Links into the Aspire dashboard: the page of one trace is <c>/traces/detail/{traceId}</c>. The
/// dashboard's address is read from its resource's <c>http</c> endpoint (where it really listens, also
/// under the testing builder, which moves ports), else from <c>ASPNETCORE_URLS</c> (the launch profile).
/// </summary>
internal sealed class DashboardLinks(IConfiguration configuration)
{
    /// <summary>The Aspire dashboard's resource name.</summary>
    public const string DashboardResource = "aspire-dashboard";

    public Uri? Base(IServiceProvider services)
    {
        var dashboard = services.GetService<DistributedApplicationModel>()?.Resources
            .OfType<IResourceWithEndpoints>()
            .FirstOrDefault(r => r.Name == DashboardResource);
        if (dashboard?.GetEndpoints().FirstOrDefault(e => e.EndpointName is "http" or "https" && e.IsAllocated) is { } endpoint)
        {
            return new Uri(endpoint.Url);
        }

        return (configuration["ASPNETCORE_URLS"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null)
            .FirstOrDefault(u => u is not null);
    }

    public Uri? Trace(IServiceProvider services, string traceId) => Base(services) is { } dashboard ? new Uri(dashboard, "/traces/detail/" + traceId) : null;
}

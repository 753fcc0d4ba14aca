using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Liaa.ServiceDefaults;

/// <summary>Serves <c>GET /metrics</c> from the host's <see cref="LiaaTelemetry"/>.</summary>
internal static class PrometheusEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        var telemetry = context.RequestServices.GetRequiredService<LiaaTelemetry>();
        var body = telemetry.IsDisposed ? null : await telemetry.Prometheus.ScrapeAsync(context.RequestAborted);
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = Prometheus.PrometheusTextWriter.ContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}

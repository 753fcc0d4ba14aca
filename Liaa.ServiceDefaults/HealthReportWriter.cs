using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Liaa.ServiceDefaults;

/// <summary>
/// Writes a health report as plain text: the overall status on the first line (<c>Healthy</c>, exactly
/// what ASP.NET Core's default writer answers, so probes that compare the body keep working), then
/// <c>name: reason</c> for every check that is not healthy, so an operator sees why a node is not ready.
/// </summary>
internal static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (entry.Status != HealthStatus.Healthy)
            {
                text.Append('\n').Append(name).Append(": ").Append(entry.Status).Append(": ")
                    .Append(entry.Description ?? entry.Exception?.Message ?? "no reason given");
            }
        }

        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }
}

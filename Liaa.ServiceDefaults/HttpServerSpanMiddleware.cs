using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Liaa.ServiceDefaults;

/// <summary>
/// Gives ASP.NET Core's own server activity (source <c>Microsoft.AspNetCore</c>) what
/// OpenTelemetry.Instrumentation.AspNetCore would have: the name <c>{method} {route}</c>
/// (<c>GET /v1/values/{key}</c>) and the HTTP semantic-convention attributes. Requests to the
/// untraced paths (<c>/metrics</c>, health probes) have their activity dropped instead.
/// </summary>
/// <remarks>
/// Runs first in the pipeline (installed by a startup filter), so it sees the route that routing
/// matched once the rest of the pipeline has run. ASP.NET Core creates its activity before any
/// middleware and with no tags, so a sampler cannot tell a probe from real traffic; clearing
/// <see cref="Activity.IsAllDataRequested"/> makes the SDK skip the span when it ends.
/// </remarks>
internal sealed class HttpServerSpanMiddleware(RequestDelegate next, IOptions<LiaaTelemetryOptions> options)
{
    private static readonly HashSet<string> KnownMethods = new(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    };

    private readonly IList<string> _untracedPaths = options.Value.UntracedPaths;

    public async Task InvokeAsync(HttpContext context)
    {
        var activity = context.Features.Get<IHttpActivityFeature>()?.Activity;
        if (activity is null || !activity.IsAllDataRequested)
        {
            await next(context);
            return;
        }

        if (IsUntraced(context.Request.Path))
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            await next(context);
            return;
        }

        var method = TagRequest(activity, context.Request);
        try
        {
            await next(context);
        }
        catch (Exception exception)
        {
            activity.SetTag("error.type", exception.GetType().FullName);
            TagResponse(activity, context, method, StatusCodes.Status500InternalServerError);
            throw;
        }

        TagResponse(activity, context, method, context.Response.StatusCode);
    }

    internal bool IsUntraced(PathString path)
    {
        foreach (var untraced in _untracedPaths)
        {
            if (path.StartsWithSegments(untraced, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string TagRequest(Activity activity, HttpRequest request)
    {
        var method = KnownMethods.Contains(request.Method) ? request.Method : "_OTHER";
        activity.SetTag("http.request.method", method);
        if (method == "_OTHER")
        {
            activity.SetTag("http.request.method_original", request.Method);
        }

        activity.SetTag("url.scheme", request.Scheme);
        activity.SetTag("url.path", request.Path.Value);
        if (request.Host.HasValue)
        {
            activity.SetTag("server.address", request.Host.Host);
            if (request.Host.Port is { } port)
            {
                activity.SetTag("server.port", port);
            }
        }

        activity.SetTag("network.protocol.version", request.Protocol switch
        {
            "HTTP/1.0" => "1.0",
            "HTTP/1.1" => "1.1",
            "HTTP/2" => "2",
            "HTTP/3" => "3",
            var other => other,
        });
        if (request.HttpContext.Connection.RemoteIpAddress is { } client)
        {
            activity.SetTag("client.address", client.ToString());
        }

        if (request.Headers.UserAgent is { Count: > 0 } userAgent)
        {
            activity.SetTag("user_agent.original", userAgent.ToString());
        }

        return method;
    }

    private static void TagResponse(Activity activity, HttpContext context, string method, int statusCode)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (!string.IsNullOrEmpty(route))
        {
            route = route.StartsWith('/') ? route : "/" + route;
            activity.SetTag("http.route", route);
            activity.DisplayName = method == "_OTHER" ? "HTTP " + route : method + " " + route;
        }
        else
        {
            activity.DisplayName = method == "_OTHER" ? "HTTP" : method;
        }

        activity.SetTag("http.response.status_code", statusCode);
        if (statusCode >= StatusCodes.Status500InternalServerError)
        {
            if (activity.GetTagItem("error.type") is null)
            {
                activity.SetTag("error.type", statusCode.ToString(CultureInfo.InvariantCulture));
            }

            activity.SetStatus(ActivityStatusCode.Error);
        }
    }
}

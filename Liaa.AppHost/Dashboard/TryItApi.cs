using System.Diagnostics;
using System.Text;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// The "Try it" form's API: put or get a key through any node by proxying to that node's
/// <c>PUT|GET /v1/values/{key}</c>, and say which trace the request produced.
/// </summary>
/// <remarks>
/// <para>
/// The proxied request carries a sampled W3C <c>traceparent</c> the dashboard drew, so the node's
/// HTTP server span, its lookup, its RPCs and the server spans on every peer it asked all land in
/// one trace whose id is known before the request is sent; the answer links straight to it. The
/// AppHost also files its own client span for the request under <see cref="LiaaDashboard.AppHostServiceName"/>
/// as that trace's root, so the trace starts where the user's click did.
/// </para>
/// <para>
/// The nodes export spans in batches every second, so the trace fills in shortly after the answer;
/// the trace page keeps polling until it does.
/// </para>
/// </remarks>
internal static class TryItApi
{
    public static void Map(RouteGroupBuilder api, LiaaDashboard dashboard)
    {
        api.MapPost("/try/put", (TryRequest request, CancellationToken cancellationToken) => RunAsync(dashboard, HttpMethod.Put, request, cancellationToken));
        api.MapPost("/try/get", (TryRequest request, CancellationToken cancellationToken) => RunAsync(dashboard, HttpMethod.Get, request, cancellationToken));
    }

    private static async Task<IResult> RunAsync(LiaaDashboard dashboard, HttpMethod method, TryRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Key))
        {
            return DashboardJson.Problem(StatusCodes.Status400BadRequest, "Key missing", "Give a key.");
        }

        var name = string.IsNullOrWhiteSpace(request.Node)
            ? dashboard.Cluster.Nodes.FirstOrDefault(n => n.State.IsRunning())?.Name ?? string.Empty
            : request.Node;
        if (!dashboard.TryFind(name, out var node))
        {
            return DashboardJson.Problem(StatusCodes.Status404NotFound, "No such node", $"There is no node named '{name}'.");
        }

        if (!node.State.IsRunning() || node.HttpEndpoint is not { } http)
        {
            return DashboardJson.Problem(StatusCodes.Status409Conflict, "Node not running", $"{name} is {node.State}: start it or choose another node.");
        }

        ByteArrayContent? body = null;
        if (method == HttpMethod.Put)
        {
            if (!TryBody(request, out body, out var problem))
            {
                return DashboardJson.Problem(StatusCodes.Status400BadRequest, "Invalid value", problem);
            }
        }

        var keyId = IdSpace.TryKeyId(request.Key, request.Digest, out var id) ? id.ToString() : null;
        var (traceParent, traceId, spanId) = TraceParent.NewSampled();
        var clock = dashboard.TimeProvider;
        var started = clock.GetUtcNow();
        var startedTicks = clock.GetTimestamp();
        NodeClient.ValueResponse response;
        using (body)
        {
            response = await dashboard.Nodes.SendValueAsync(http, method, request.Key, request.Digest, body, traceParent, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = clock.GetElapsedTime(startedTicks);
        var result = Result(method, name, request, keyId, response, elapsed, traceId.ToHexString());
        dashboard.Store.Add([ClientSpan(method, node.Snapshot, request, keyId, response, traceId, spanId, started, started + elapsed)]);
        return DashboardJson.Ok(result);
    }

    private static bool TryBody(TryRequest request, out ByteArrayContent? body, out string problem)
    {
        body = null;
        problem = string.Empty;
        var value = request.Value ?? string.Empty;
        switch ((request.Type ?? "text").ToLowerInvariant())
        {
            case "text":
                body = NodeClient.Content(Encoding.UTF8.GetBytes(value), "text/plain");
                return true;
            case "json":
                body = NodeClient.Content(Encoding.UTF8.GetBytes(value), "application/json");
                return true;
            case "hex":
                try
                {
                    body = NodeClient.Content(Convert.FromHexString(value.Replace(" ", string.Empty, StringComparison.Ordinal)), "application/octet-stream");
                    return true;
                }
                catch (FormatException)
                {
                    problem = "Bytes are given as hexadecimal digits.";
                    return false;
                }

            default:
                problem = $"Type '{request.Type}' is not text, json or hex.";
                return false;
        }
    }

    private static TryResult Result(HttpMethod method, string node, TryRequest request, string? keyId, NodeClient.ValueResponse response, TimeSpan elapsed, string traceId)
    {
        var ok = response.Status is >= 200 and < 300;
        string? value = null;
        string? error = response.Error;
        if (ok && method == HttpMethod.Get)
        {
            value = response.MediaType == "application/octet-stream" ? Convert.ToHexStringLower(response.Body) : Encoding.UTF8.GetString(response.Body);
        }
        else if (!ok && response.Status != 0)
        {
            error = Encoding.UTF8.GetString(response.Body);
        }
        else if (ok)
        {
            value = Encoding.UTF8.GetString(response.Body);
        }

        return new TryResult(
            method == HttpMethod.Put ? "put" : "get",
            node,
            request.Key!,
            keyId,
            response.Status,
            ok,
            value,
            response.MediaType,
            error,
            Math.Round(elapsed.TotalMilliseconds, 1),
            traceId);
    }

    private static StoredSpan ClientSpan(
        HttpMethod method,
        NodeSnapshot node,
        TryRequest request,
        string? keyId,
        NodeClient.ValueResponse response,
        ActivityTraceId traceId,
        ActivitySpanId spanId,
        DateTimeOffset start,
        DateTimeOffset end)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["http.request.method"] = method.Method,
            ["url.full"] = new Uri(node.HttpEndpoint!, "/v1/values/" + Uri.EscapeDataString(request.Key!)).AbsoluteUri,
            ["liaa.node.name"] = node.Name,
            ["liaa.key"] = keyId,
            ["liaa.key.text"] = request.Digest ? null : request.Key,
        };
        if (response.Status != 0)
        {
            attributes["http.response.status_code"] = (long)response.Status;
        }

        var failed = response.Status is 0 or >= 500;
        return new StoredSpan(
            new TelemetryResource(new ServiceKey(LiaaDashboard.AppHostServiceName, null), new Dictionary<string, object?> { ["service.name"] = LiaaDashboard.AppHostServiceName }),
            "Liaa.AppHost.Dashboard",
            traceId.ToHexString(),
            spanId.ToHexString(),
            null,
            $"try {(method == HttpMethod.Put ? "put" : "get")} via {node.Name}",
            ActivityKind.Client,
            start,
            end,
            failed ? ActivityStatusCode.Error : ActivityStatusCode.Unset,
            failed ? response.Error ?? $"HTTP {response.Status}" : null,
            attributes,
            [],
            []);
    }
}

/// <summary>The form: which node to go through, the key (a string, or a 40-hex-digit digest), and for a put the value and its type (<c>text</c>, <c>json</c>, <c>hex</c> bytes).</summary>
internal sealed record TryRequest(string? Node, string? Key, string? Value, string? Type, bool Digest = false);

/// <summary>What the node answered, and the trace the request produced.</summary>
internal sealed record TryResult(
    string Operation,
    string Node,
    string Key,
    string? KeyId,
    int Status,
    bool Ok,
    string? Value,
    string? ContentType,
    string? Error,
    double ElapsedMs,
    string TraceId);

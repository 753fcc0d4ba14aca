using System.Globalization;
using System.Text;
using System.Text.Json;
using Liaa.Node.Kademlia;
using Liaa.Node.Storage;
using Liaa.Node.Wire;

namespace Liaa.Node.Api;

/// <summary>
/// The HTTP API of a serving node (bound to 127.0.0.1 by default):
/// <c>GET|PUT /v1/values/{key}</c> through the DHT, <c>GET /v1/node</c>, <c>GET /v1/routing-table</c>,
/// <c>GET /v1/storage</c>, <c>GET /v1/lookups</c> (<see cref="LookupApi"/>). Errors are problem details with the reason: bad input is always a 4xx
/// (400 malformed, 401 a write without the token, 413 too large, 415 unsupported type), never a 500.
/// </summary>
/// <remarks>
/// A key is a string hashed with SHA-1 as the Python peers do, or with <c>?digest=true</c> a
/// 40-hex-digit digest used as is. A PUT body's content type gives the value's type: <c>text/plain</c>
/// a string, <c>application/octet-stream</c> bytes, <c>application/json</c> a JSON scalar (integer,
/// float, boolean or string). A GET answers in the value's own type the same way, naming it in the
/// <c>Liaa-Value-Type</c> header; a float JSON cannot write (NaN, ±Infinity, which Python peers may store) is
/// answered as the JSON string <c>"NaN"</c>, <c>"Infinity"</c> or <c>"-Infinity"</c>, and a JSON PUT of a number
/// beyond a float64 is refused. A PUT answers where the value went and when it expires: the node is its
/// publisher now, and republishes it every <c>RepublishInterval</c>.
/// </remarks>
internal static class NodeApi
{
    /// <summary>The header a value's GET carries its type in: <c>string</c>, <c>bytes</c>, <c>integer</c>, <c>float</c> or <c>boolean</c>.</summary>
    public const string ValueTypeHeader = "Liaa-Value-Type";

    public static IEndpointRouteBuilder MapNodeApi(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1");
        v1.MapGet("/node", (IRunningNode host, HttpContext http) => NodeInfo(host.Node, http));
        v1.MapGet("/routing-table", (IRunningNode host) => RoutingTable(host.Node));
        v1.MapGet("/storage", (IRunningNode host) => Storage(host.Node));
        v1.MapGet("/lookups", (IRunningNode host, string? target, bool? digest, int? limit) => LookupApi.Get(host.Node, target, digest, limit));
        v1.MapGet("/values/{key}", GetValueAsync);
        v1.MapPut("/values/{key}", PutValueAsync);
        return endpoints;
    }

    private static IResult NodeInfo(LiaaNode node, HttpContext http) => Results.Json(
        new NodeInfoResponse(
            Id: node.Id.ToString(),
            Udp: node.EndPoint.ToString(),
            External: node.ExternalEndPoint?.ToString(),
            Http: $"{http.Request.Scheme}://{http.Request.Host}",
            StartedAt: node.StartedAt,
            UptimeSeconds: Math.Round((node.Options.TimeProvider.GetUtcNow() - node.StartedAt).TotalSeconds, 3),
            Joined: node.IsJoined,
            Contacts: node.GetContacts().Count,
            K: node.Options.Kademlia.K,
            Alpha: node.Options.Kademlia.Alpha),
        NodeApiJson.Default.NodeInfoResponse);

    private static IResult RoutingTable(LiaaNode node)
    {
        var buckets = node.GetRoutingTable();
        var k = node.Options.Kademlia.K;
        return Results.Json(
            new RoutingTableResponse(
                Self: node.Id.ToString(),
                Size: buckets.Sum(b => b.Contacts.Count),
                K: k,
                Buckets: [.. buckets.Select((b, index) => new BucketResponse(
                    Index: index,
                    Low: b.Low.ToString(),
                    High: b.High.ToString(),
                    Depth: b.Depth,
                    Fill: (double)b.Contacts.Count / k,
                    LastLookup: b.LastLookup,
                    Contacts: [.. b.Contacts.Select(c => new ContactResponse(
                        c.Contact.Id.ToString(), c.Contact.EndPoint.Address.ToString(), c.Contact.EndPoint.Port, c.LastSeen, c.FailureCount))],
                    Replacements: [.. b.Replacements.Select(c => new ReplacementResponse(
                        c.Contact.Id.ToString(), c.Contact.EndPoint.Address.ToString(), c.Contact.EndPoint.Port, c.LastSeen))]))]),
            NodeApiJson.Default.RoutingTableResponse);
    }

    private static IResult Storage(LiaaNode node)
    {
        var statistics = node.GetStorageStatistics();
        return Results.Json(
            new StorageResponse(
                Keys: statistics.Keys,
                Bytes: statistics.Bytes,
                ByOrigin: Enum.GetValues<ValueOrigin>().ToDictionary(
                    o => o.ToString().ToLowerInvariant(),
                    o => statistics.For(o)),
                Values: [.. node.GetStoredValues().Take(1000).Select(v => new StoredValueResponse(
                    Key: v.Key.ToString(),
                    Kind: v.Value.Kind.ToString().ToLowerInvariant(),
                    Size: v.Value.Encoded.Length,
                    Origin: v.Origin.ToString().ToLowerInvariant(),
                    PublishedAt: v.PublishedAt,
                    ExpiresAt: v.ExpiresAt))]),
            NodeApiJson.Default.StorageResponse);
    }

    private static async Task<IResult> GetValueAsync(string key, bool? digest, IRunningNode host, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!TryParseKey(key, digest == true, out var id, out var problem))
        {
            return problem;
        }

        var result = await host.Node.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (result.Value is not { } value)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Key not found", detail: $"No node holds {id}.");
        }

        response.Headers[ValueTypeHeader] = ValueText.TypeName(value.Kind);
        return value.Kind switch
        {
            DhtValueKind.String => Results.Text(value.AsString(), "text/plain; charset=utf-8"),
            DhtValueKind.Bytes => Results.Bytes(value.AsBytes(), "application/octet-stream"),
            DhtValueKind.Boolean => Results.Text(value.AsBoolean() ? "true" : "false", "application/json"),
            DhtValueKind.Float => Results.Text(FloatJson(value.AsDouble()), "application/json"),
            _ => Results.Text(ValueText.Format(value), "application/json"),
        };
    }

    /// <summary>
    /// A float as JSON: a number when it is finite, else the string <c>"NaN"</c>, <c>"Infinity"</c> or
    /// <c>"-Infinity"</c> (JSON has no such numbers; Python peers may store them, and the
    /// <c>Liaa-Value-Type: float</c> header tells them from a string value).
    /// </summary>
    internal static string FloatJson(double number) => double.IsFinite(number)
        ? JsonSerializer.Serialize(number, NodeApiJson.Default.Double)
        : JsonSerializer.Serialize(number.ToString(CultureInfo.InvariantCulture), NodeApiJson.Default.String);

    private static async Task<IResult> PutValueAsync(string key, bool? digest, HttpRequest request, IRunningNode host, ApiAccess access, CancellationToken cancellationToken)
    {
        if (!access.MayWrite(request))
        {
            request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Token required",
                detail: "Writes need the header 'Authorization: Bearer <token>' with the token configured as Liaa:Node:ApiToken.");
        }

        if (!TryParseKey(key, digest == true, out var id, out var problem))
        {
            return problem;
        }

        // Read up to twice the limit (eight times for JSON, whose escapes shrink a string), so the value's own check
        // can say exactly how large it is; a body beyond that is refused without reading the rest.
        var limit = host.Node.Options.Storage.MaxValueBytes;
        var readLimit = (IsJson(request.ContentType) ? 8L : 2L) * limit + 64;
        using var body = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > readLimit)
            {
                var size = request.ContentLength is { } length ? $"{length:N0}" : $"over {readLimit:N0}";
                return Results.Problem(
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "Value too large",
                    detail: string.Create(CultureInfo.InvariantCulture, $"Values are at most {limit:N0} bytes encoded (a text of at most {StorageOptions.LargestPayload(limit):N0} UTF-8 bytes, or as many raw bytes); this body is {size} bytes."));
            }
        }

        if (!TryParseValue(request.ContentType, body.ToArray(), out var value, out var reason, out var unsupportedType))
        {
            return Results.Problem(
                statusCode: unsupportedType ? StatusCodes.Status415UnsupportedMediaType : StatusCodes.Status400BadRequest,
                title: unsupportedType ? "Unsupported content type" : "Invalid value",
                detail: reason);
        }

        var result = await host.Node.PutAsync(id, value, cancellationToken).ConfigureAwait(false);
        if (!result.IsAccepted)
        {
            // Too large is the request's fault; a full store or a failing disk is the node's, and says so.
            var (status, title) = result switch
            {
                { IsStorageFailure: true } => (StatusCodes.Status503ServiceUnavailable, "Storage unavailable"),
                { Refusal: StoreStatus.KeyLimit or StoreStatus.ByteLimit } => (StatusCodes.Status507InsufficientStorage, "Store full"),
                _ => (StatusCodes.Status413PayloadTooLarge, "Value refused"),
            };
            return Results.Problem(statusCode: status, title: title, detail: result.Reason);
        }

        // This node is the value's publisher now: it republishes it while it runs (and, with a data directory, across restarts).
        var held = host.Node.GetStoredValue(id);
        return Results.Json(
            new PutResponse(
                Key: id.ToString(),
                StoredAt: result.StoredAt,
                Asked: result.Asked,
                PublishedAt: held?.PublishedAt,
                ExpiresAt: held?.ExpiresAt,
                RepublishInterval: host.Node.Options.Storage.RepublishInterval),
            NodeApiJson.Default.PutResponse);
    }

    private static bool IsJson(string? contentType) =>
        string.Equals(contentType?.Split(';')[0].Trim(), "application/json", StringComparison.OrdinalIgnoreCase);

    internal static bool TryParseKey(string key, bool isDigest, out NodeId id, out IResult problem)
    {
        problem = Results.Empty;
        if (!isDigest)
        {
            id = NodeId.FromKey(key);
            return true;
        }

        if (NodeId.TryParse(key, out id))
        {
            return true;
        }

        problem = Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid digest", detail: $"'{key}' is not 40 hexadecimal digits.");
        return false;
    }

    internal static bool TryParseValue(string? contentType, byte[] body, out DhtValue value, out string reason, out bool unsupportedType)
    {
        value = null!;
        reason = string.Empty;
        unsupportedType = false;
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "text/plain";
        switch (mediaType)
        {
            case "application/octet-stream":
                value = DhtValue.FromBytes(body);
                return true;
            case "text/plain":
                try
                {
                    value = DhtValue.FromString(new UTF8Encoding(false, true).GetString(body));
                    return true;
                }
                catch (DecoderFallbackException)
                {
                    reason = "A text/plain body must be UTF-8.";
                    return false;
                }

            case "application/json":
                return TryParseJsonValue(body, out value, out reason);
            default:
                reason = $"Unsupported content type '{mediaType}': use text/plain, application/octet-stream or application/json.";
                unsupportedType = true;
                return false;
        }
    }

    private static bool TryParseJsonValue(byte[] body, out DhtValue value, out string reason)
    {
        value = null!;
        reason = string.Empty;
        try
        {
            using var document = JsonDocument.Parse(body);
            var element = document.RootElement;
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    value = DhtValue.FromString(element.GetString()!);
                    return true;
                case JsonValueKind.True or JsonValueKind.False:
                    value = DhtValue.FromBoolean(element.GetBoolean());
                    return true;
                case JsonValueKind.Number when element.TryGetInt64(out var signed):
                    value = DhtValue.FromInt64(signed);
                    return true;
                case JsonValueKind.Number when element.TryGetUInt64(out var unsigned):
                    value = DhtValue.FromUInt64(unsigned);
                    return true;
                case JsonValueKind.Number when IsInteger(element.GetRawText()):
                    reason = "Integers must fit in 64 bits.";
                    return false;
                case JsonValueKind.Number when !double.IsFinite(element.GetDouble()):
                    reason = $"JSON numbers must be finite: {element.GetRawText()} is beyond a float64 (about ±1.8e308).";
                    return false;
                case JsonValueKind.Number:
                    value = DhtValue.FromDouble(element.GetDouble());
                    return true;
                default:
                    reason = $"A JSON value must be a string, number or boolean, not {element.ValueKind.ToString().ToLowerInvariant()} (Python peers cannot hold it).";
                    return false;
            }
        }
        catch (JsonException ex)
        {
            reason = $"Invalid JSON: {ex.Message}";
            return false;
        }
    }

    private static bool IsInteger(string raw) =>
        !raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.OrdinalIgnoreCase)
        && raw.TrimStart('-').All(char.IsAsciiDigit) && raw.Length > 0 && !double.IsNaN(double.Parse(raw, CultureInfo.InvariantCulture));
}

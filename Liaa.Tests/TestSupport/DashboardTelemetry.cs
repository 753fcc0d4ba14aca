using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Liaa.Tests.TestSupport.Otlp;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// Reads the OTLP/JSON the Aspire dashboard's telemetry API answers (<c>{"data":{"resourceSpans":…}}</c>,
/// <c>resourceLogs</c>) into the records the tests' own OTLP receiver keeps, so cluster tests assert on
/// the same shapes whether the telemetry came from a receiver or from the dashboard. The dashboard
/// sends every attribute value as a string.
/// </summary>
internal static class DashboardTelemetry
{
    public static List<StoredSpan> ToSpans(JsonElement response)
    {
        var spans = new List<StoredSpan>();
        foreach (var resourceSpans in Array(Data(response), "resourceSpans"))
        {
            var resource = Resource(resourceSpans);
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans"))
            {
                var scope = scopeSpans.TryGetProperty("scope", out var s) ? Text(s, "name") ?? string.Empty : string.Empty;
                foreach (var span in Array(scopeSpans, "spans"))
                {
                    spans.Add(new StoredSpan(
                        resource,
                        scope,
                        Text(span, "traceId") ?? string.Empty,
                        Text(span, "spanId") ?? string.Empty,
                        Text(span, "parentSpanId") is { Length: > 0 } parent ? parent : null,
                        Text(span, "name") ?? string.Empty,
                        span.TryGetProperty("kind", out var kind) ? Kind(kind.GetInt32()) : ActivityKind.Internal,
                        Time(span, "startTimeUnixNano"),
                        Time(span, "endTimeUnixNano"),
                        ActivityStatusCode.Unset,
                        null,
                        Attributes(span),
                        [],
                        []));
                }
            }
        }

        return spans;
    }

    public static List<StoredLogRecord> ToLogs(JsonElement response)
    {
        var logs = new List<StoredLogRecord>();
        foreach (var resourceLogs in Array(Data(response), "resourceLogs"))
        {
            var resource = Resource(resourceLogs);
            foreach (var scopeLogs in Array(resourceLogs, "scopeLogs"))
            {
                var scope = scopeLogs.TryGetProperty("scope", out var s) ? Text(s, "name") ?? string.Empty : string.Empty;
                foreach (var record in Array(scopeLogs, "logRecords"))
                {
                    logs.Add(new StoredLogRecord(
                        resource,
                        scope,
                        Time(record, "timeUnixNano"),
                        record.TryGetProperty("severityNumber", out var severity) && severity.ValueKind == JsonValueKind.Number ? severity.GetInt32() : 0,
                        Text(record, "severityText"),
                        record.TryGetProperty("body", out var body) ? Value(body) : null,
                        Text(record, "eventName"),
                        Attributes(record),
                        Text(record, "traceId") is { Length: > 0 } traceId ? traceId : null,
                        Text(record, "spanId") is { Length: > 0 } spanId ? spanId : null));
                }
            }
        }

        return logs;
    }

    private static JsonElement Data(JsonElement response) => response.TryGetProperty("data", out var data) ? data : response;

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static TelemetryResource Resource(JsonElement owner) =>
        TelemetryResource.FromAttributes(owner.TryGetProperty("resource", out var resource) ? Attributes(resource) : new Dictionary<string, object?>());

    private static Dictionary<string, object?> Attributes(JsonElement owner) =>
        Array(owner, "attributes").ToDictionary(a => Text(a, "key") ?? string.Empty, a => a.TryGetProperty("value", out var v) ? (object?)Value(v) : null, StringComparer.Ordinal);

    private static string? Value(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.EnumerateObject().FirstOrDefault() is { Value: var inner } && inner.ValueKind != JsonValueKind.Undefined
            ? inner.ValueKind == JsonValueKind.String ? inner.GetString() : inner.ToString()
            : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset Time(JsonElement element, string name) =>
        Text(element, name) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds)
            ? DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100)
            : default;

    /// <summary>OTLP's span kinds: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</summary>
    private static ActivityKind Kind(int kind) => kind switch
    {
        2 => ActivityKind.Server,
        3 => ActivityKind.Client,
        4 => ActivityKind.Producer,
        5 => ActivityKind.Consumer,
        _ => ActivityKind.Internal,
    };
}

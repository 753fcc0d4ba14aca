using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Liaa.Tests.TestSupport.Otlp.Protocol;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// Turns OTLP export requests (Liaa's generated message classes) into the store's records: ids to
/// lowercase hex, nanosecond timestamps to <see cref="DateTimeOffset"/> (100 ns resolution),
/// attribute values to <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>,
/// <see cref="double"/>, <see cref="byte"/>[], <c>object?[]</c> or nested dictionaries.
/// </summary>
/// <remarks>
/// Pure and tolerant: a span without a valid trace or span id is skipped, anything else missing
/// becomes empty. Exponential histograms are not in Liaa's .proto subset and arrive as metrics with
/// no data; they are skipped.
/// </remarks>
internal static class OtlpConverter
{
    public static List<StoredSpan> ToSpans(ExportTraceServiceRequest request)
    {
        List<StoredSpan> result = [];
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = ToResource(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope?.Name ?? string.Empty;
                foreach (var span in scopeSpans.Spans)
                {
                    var traceId = ToHex(span.TraceId, 16);
                    var spanId = ToHex(span.SpanId, 8);
                    if (traceId is null || spanId is null)
                    {
                        continue;
                    }

                    result.Add(new StoredSpan(
                        resource,
                        scope,
                        traceId,
                        spanId,
                        ToHex(span.ParentSpanId, 8),
                        span.Name,
                        ToKind(span.Kind),
                        ToTime(span.StartTimeUnixNano),
                        ToTime(span.EndTimeUnixNano),
                        ToStatusCode(span.Status?.Code ?? Status.Types.StatusCode.Unset),
                        string.IsNullOrEmpty(span.Status?.Message) ? null : span.Status.Message,
                        ToAttributes(span.Attributes),
                        [.. span.Events.Select(e => new StoredSpanEvent(e.Name, ToTime(e.TimeUnixNano), ToAttributes(e.Attributes)))],
                        [.. span.Links.Select(l => new StoredSpanLink(ToHex(l.TraceId, 16) ?? string.Empty, ToHex(l.SpanId, 8) ?? string.Empty, ToAttributes(l.Attributes)))]));
                }
            }
        }

        return result;
    }

    public static List<StoredMetricPoint> ToMetricPoints(ExportMetricsServiceRequest request)
    {
        List<StoredMetricPoint> result = [];
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var resource = ToResource(resourceMetrics.Resource);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                var scope = scopeMetrics.Scope?.Name ?? string.Empty;
                foreach (var metric in scopeMetrics.Metrics)
                {
                    AddPoints(result, resource, scope, metric);
                }
            }
        }

        return result;
    }

    public static List<StoredLogRecord> ToLogRecords(ExportLogsServiceRequest request)
    {
        List<StoredLogRecord> result = [];
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resource = ToResource(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scope = scopeLogs.Scope?.Name ?? string.Empty;
                foreach (var log in scopeLogs.LogRecords)
                {
                    result.Add(new StoredLogRecord(
                        resource,
                        scope,
                        ToTime(log.TimeUnixNano != 0 ? log.TimeUnixNano : log.ObservedTimeUnixNano),
                        (int)log.SeverityNumber,
                        string.IsNullOrEmpty(log.SeverityText) ? null : log.SeverityText,
                        log.Body is null ? null : ToText(ToValue(log.Body)),
                        string.IsNullOrEmpty(log.EventName) ? null : log.EventName,
                        ToAttributes(log.Attributes),
                        ToHex(log.TraceId, 16),
                        ToHex(log.SpanId, 8)));
                }
            }
        }

        return result;
    }

    internal static TelemetryResource ToResource(Protocol.Resource? resource) =>
        TelemetryResource.FromAttributes(resource is null ? new Dictionary<string, object?>() : ToAttributes(resource.Attributes));

    internal static IReadOnlyDictionary<string, object?> ToAttributes(RepeatedField<KeyValue> attributes)
    {
        var result = new Dictionary<string, object?>(attributes.Count, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = ToValue(attribute.Value);
        }

        return result;
    }

    internal static object? ToValue(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToByteArray(),
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(ToValue).ToArray(),
        AnyValue.ValueOneofCase.KvlistValue => ToAttributes(value.KvlistValue.Values),
        _ => null,
    };

    /// <summary>Lowercase hex of an id of the expected length; <c>null</c> when absent, all zero, or malformed.</summary>
    internal static string? ToHex(ByteString id, int length)
    {
        if (id.Length != length)
        {
            return null;
        }

        var span = id.Span;
        return span.IndexOfAnyExcept((byte)0) < 0 ? null : Convert.ToHexStringLower(span);
    }

    internal static DateTimeOffset ToTime(ulong unixNanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanoseconds / 100));

    private static void AddPoints(List<StoredMetricPoint> result, TelemetryResource resource, string scope, Metric metric)
    {
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                AddNumberPoints(result, resource, scope, metric, MetricPointKind.Gauge, false, MetricTemporality.Unspecified, metric.Gauge.DataPoints);
                break;
            case Metric.DataOneofCase.Sum:
                AddNumberPoints(result, resource, scope, metric, MetricPointKind.Sum, metric.Sum.IsMonotonic, ToTemporality(metric.Sum.AggregationTemporality), metric.Sum.DataPoints);
                break;
            case Metric.DataOneofCase.Histogram:
                foreach (var point in metric.Histogram.DataPoints)
                {
                    var histogram = new HistogramValue(
                        point.Count,
                        point.HasSum ? point.Sum : null,
                        point.HasMin ? point.Min : null,
                        point.HasMax ? point.Max : null,
                        [.. point.BucketCounts],
                        [.. point.ExplicitBounds]);
                    result.Add(Point(resource, scope, metric, MetricPointKind.Histogram, false, ToTemporality(metric.Histogram.AggregationTemporality), point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano) with { Histogram = histogram });
                }

                break;
            case Metric.DataOneofCase.Summary:
                foreach (var point in metric.Summary.DataPoints)
                {
                    result.Add(Point(resource, scope, metric, MetricPointKind.Summary, false, MetricTemporality.Cumulative, point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano)
                        with { Summary = new SummaryValue(point.Count, point.Sum) });
                }

                break;
            default:
                break;
        }
    }

    private static void AddNumberPoints(
        List<StoredMetricPoint> result,
        TelemetryResource resource,
        string scope,
        Metric metric,
        MetricPointKind kind,
        bool isMonotonic,
        MetricTemporality temporality,
        RepeatedField<NumberDataPoint> points)
    {
        foreach (var point in points)
        {
            double? value = point.ValueCase switch
            {
                NumberDataPoint.ValueOneofCase.AsDouble => point.AsDouble,
                NumberDataPoint.ValueOneofCase.AsInt => point.AsInt,
                _ => null,
            };
            result.Add(Point(resource, scope, metric, kind, isMonotonic, temporality, point.Attributes, point.StartTimeUnixNano, point.TimeUnixNano) with { Value = value });
        }
    }

    private static StoredMetricPoint Point(
        TelemetryResource resource,
        string scope,
        Metric metric,
        MetricPointKind kind,
        bool isMonotonic,
        MetricTemporality temporality,
        RepeatedField<KeyValue> attributes,
        ulong start,
        ulong time) =>
        new(resource, scope, metric.Name, metric.Description, metric.Unit, kind, isMonotonic, temporality,
            ToAttributes(attributes), ToTime(start), ToTime(time), null, null, null);

    private static MetricTemporality ToTemporality(AggregationTemporality temporality) => temporality switch
    {
        AggregationTemporality.Delta => MetricTemporality.Delta,
        AggregationTemporality.Cumulative => MetricTemporality.Cumulative,
        _ => MetricTemporality.Unspecified,
    };

    private static ActivityKind ToKind(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Server => ActivityKind.Server,
        Span.Types.SpanKind.Client => ActivityKind.Client,
        Span.Types.SpanKind.Producer => ActivityKind.Producer,
        Span.Types.SpanKind.Consumer => ActivityKind.Consumer,
        _ => ActivityKind.Internal,
    };

    private static ActivityStatusCode ToStatusCode(Status.Types.StatusCode code) => code switch
    {
        Status.Types.StatusCode.Ok => ActivityStatusCode.Ok,
        Status.Types.StatusCode.Error => ActivityStatusCode.Error,
        _ => ActivityStatusCode.Unset,
    };

    private static string? ToText(object? value) => value switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

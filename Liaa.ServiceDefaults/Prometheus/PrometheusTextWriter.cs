using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Liaa.ServiceDefaults.Prometheus;

/// <summary>
/// Renders the SDK's metrics in the Prometheus text exposition format 0.0.4: one family per name
/// (<c># HELP</c>, <c># TYPE</c>, samples), <c>target_info</c> from the resource, an
/// <c>otel_scope_name</c> label naming the meter, and histograms as cumulative buckets.
/// </summary>
/// <remarks>
/// Must run inside <c>Export</c>: a <see cref="Metric"/>'s points are only valid there. Metrics from
/// different meters that map to the same name and type share one family (their
/// <c>otel_scope_name</c> keeps the series apart); a later metric whose type conflicts with the family
/// is left out rather than producing text Prometheus would reject. Exponential histograms are not
/// rendered (Liaa never configures them). No timestamps: Prometheus stamps samples at scrape time.
/// </remarks>
internal static class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Label values are escaped by the writer; JSON only has to escape what JSON requires.
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(IReadOnlyList<Metric> metrics, Resource? resource)
    {
        var builder = new StringBuilder(4096);
        if (resource is not null)
        {
            WriteTargetInfo(builder, resource);
        }

        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var order = new List<Family>();
        foreach (var metric in metrics)
        {
            if (!TryGetType(metric.MetricType, out var type))
            {
                continue;
            }

            var name = PrometheusNaming.MetricName(metric.Name, metric.Unit, type);
            if (!families.TryGetValue(name, out var family))
            {
                family = new Family(name, type);
                families.Add(name, family);
                order.Add(family);
            }
            else if (family.Type != type)
            {
                continue;
            }

            family.Metrics.Add(metric);
        }

        foreach (var family in order)
        {
            WriteFamily(builder, family);
        }

        return builder.ToString();
    }

    private static bool TryGetType(MetricType metricType, out PrometheusMetricType type)
    {
        switch (metricType)
        {
            case MetricType.LongSum or MetricType.DoubleSum:
                type = PrometheusMetricType.Counter;
                return true;
            case MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic
                or MetricType.LongGauge or MetricType.DoubleGauge:
                type = PrometheusMetricType.Gauge;
                return true;
            case MetricType.Histogram:
                type = PrometheusMetricType.Histogram;
                return true;
            default:
                type = default;
                return false;
        }
    }

    private static void WriteTargetInfo(StringBuilder builder, Resource resource)
    {
        var labels = new List<KeyValuePair<string, object?>>();
        foreach (var attribute in resource.Attributes)
        {
            labels.Add(new(attribute.Key, attribute.Value));
        }

        if (labels.Count == 0)
        {
            return;
        }

        builder.Append("# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info");
        WriteLabels(builder, [], labels, extraName: null, extraValue: null);
        builder.Append(" 1\n");
    }

    private static void WriteFamily(StringBuilder builder, Family family)
    {
        var help = family.Metrics.Select(m => m.Description).FirstOrDefault(d => !string.IsNullOrEmpty(d));
        builder.Append("# HELP ").Append(family.Name).Append(' ');
        PrometheusNaming.AppendEscapedHelp(builder, help ?? family.Metrics[0].Name);
        builder.Append('\n');
        builder.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type switch
        {
            PrometheusMetricType.Counter => "counter",
            PrometheusMetricType.Gauge => "gauge",
            _ => "histogram",
        }).Append('\n');

        foreach (var metric in family.Metrics)
        {
            var scope = ScopeLabels(metric);
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new List<KeyValuePair<string, object?>>(point.Tags.Count);
                foreach (var tag in point.Tags)
                {
                    tags.Add(tag);
                }

                if (family.Type == PrometheusMetricType.Histogram)
                {
                    WriteHistogram(builder, family.Name, scope, tags, point);
                }
                else
                {
                    builder.Append(family.Name);
                    WriteLabels(builder, scope, tags, extraName: null, extraValue: null);
                    builder.Append(' ').Append(FormatValue(metric.MetricType, point)).Append('\n');
                }
            }
        }
    }

    private static void WriteHistogram(
        StringBuilder builder,
        string name,
        KeyValuePair<string, string>[] scope,
        List<KeyValuePair<string, object?>> tags,
        MetricPoint point)
    {
        // The SDK hands per-bucket counts; Prometheus buckets are cumulative ("le" = at most).
        long cumulative = 0;
        foreach (var bucket in point.GetHistogramBuckets())
        {
            cumulative += bucket.BucketCount;
            builder.Append(name).Append("_bucket");
            WriteLabels(builder, scope, tags, "le", PrometheusNaming.FormatDouble(bucket.ExplicitBound));
            builder.Append(' ').Append(PrometheusNaming.FormatLong(cumulative)).Append('\n');
        }

        builder.Append(name).Append("_sum");
        WriteLabels(builder, scope, tags, extraName: null, extraValue: null);
        builder.Append(' ').Append(PrometheusNaming.FormatDouble(point.GetHistogramSum())).Append('\n');

        builder.Append(name).Append("_count");
        WriteLabels(builder, scope, tags, extraName: null, extraValue: null);
        builder.Append(' ').Append(PrometheusNaming.FormatLong(point.GetHistogramCount())).Append('\n');
    }

    private static string FormatValue(MetricType type, MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => PrometheusNaming.FormatLong(point.GetSumLong()),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => PrometheusNaming.FormatDouble(point.GetSumDouble()),
        MetricType.LongGauge => PrometheusNaming.FormatLong(point.GetGaugeLastValueLong()),
        _ => PrometheusNaming.FormatDouble(point.GetGaugeLastValueDouble()),
    };

    private static KeyValuePair<string, string>[] ScopeLabels(Metric metric)
    {
        if (string.IsNullOrEmpty(metric.MeterName))
        {
            return [];
        }

        return string.IsNullOrEmpty(metric.MeterVersion)
            ? [new("otel_scope_name", metric.MeterName)]
            : [new("otel_scope_name", metric.MeterName), new("otel_scope_version", metric.MeterVersion)];
    }

    /// <summary>
    /// Writes <c>{a="x",b="y"}</c>: scope labels, then the attributes with sanitised names (keys that
    /// collide after sanitising are merged, values joined with <c>;</c> in key order, as the
    /// specification asks), then <paramref name="extraName"/> (the histogram's <c>le</c>).
    /// </summary>
    private static void WriteLabels(
        StringBuilder builder,
        KeyValuePair<string, string>[] scope,
        List<KeyValuePair<string, object?>> attributes,
        string? extraName,
        string? extraValue)
    {
        if (scope.Length == 0 && attributes.Count == 0 && extraName is null)
        {
            return;
        }

        builder.Append('{');
        var first = true;
        foreach (var label in scope)
        {
            AppendLabel(builder, ref first, label.Key, label.Value);
        }

        foreach (var label in MergeAttributes(attributes))
        {
            AppendLabel(builder, ref first, label.Key, label.Value);
        }

        if (extraName is not null)
        {
            AppendLabel(builder, ref first, extraName, extraValue ?? string.Empty);
        }

        builder.Append('}');
    }

    private static IEnumerable<KeyValuePair<string, string>> MergeAttributes(List<KeyValuePair<string, object?>> attributes)
    {
        if (attributes.Count == 0)
        {
            return [];
        }

        var byName = new Dictionary<string, List<KeyValuePair<string, string>>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var attribute in attributes)
        {
            var name = PrometheusNaming.SanitizeLabelName(attribute.Key);
            if (!byName.TryGetValue(name, out var values))
            {
                values = [];
                byName.Add(name, values);
                order.Add(name);
            }

            values.Add(new(attribute.Key, FormatAttribute(attribute.Value)));
        }

        return order.Select(name =>
        {
            var values = byName[name];
            return values.Count == 1
                ? new KeyValuePair<string, string>(name, values[0].Value)
                : new KeyValuePair<string, string>(
                    name,
                    string.Join(';', values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Value)));
        });
    }

    private static void AppendLabel(StringBuilder builder, ref bool first, string name, string value)
    {
        if (!first)
        {
            builder.Append(',');
        }

        first = false;
        builder.Append(name).Append("=\"");
        PrometheusNaming.AppendEscapedLabelValue(builder, value);
        builder.Append('"');
    }

    /// <summary>Attribute values as label text; arrays as JSON, per the specification.</summary>
    internal static string FormatAttribute(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        double d => PrometheusNaming.FormatDouble(d),
        float f => PrometheusNaming.FormatDouble(f),
        IFormattable formattable and not Array => formattable.ToString(null, CultureInfo.InvariantCulture),
        Array array => JsonSerializer.Serialize(array.Cast<object?>().Select(FormatJsonElement).ToArray(), JsonOptions),
        _ => value.ToString() ?? string.Empty,
    };

    private static object? FormatJsonElement(object? value) => value switch
    {
        null or string or bool or long or int or short or byte => value,
        double d when double.IsFinite(d) => d,
        _ => FormatAttribute(value),
    };

    private sealed class Family(string name, PrometheusMetricType type)
    {
        public string Name { get; } = name;

        public PrometheusMetricType Type { get; } = type;

        public List<Metric> Metrics { get; } = [];
    }
}

using System.Globalization;
using System.Text;

namespace Liaa.ServiceDefaults.Prometheus;

/// <summary>
/// The OpenTelemetry → Prometheus naming rules ("Prometheus and OpenMetrics Compatibility" in the
/// OpenTelemetry specification): metric and label names are reduced to Prometheus' character set,
/// the unit becomes a suffix (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>, <c>1</c> on a
/// gauge → <c>_ratio</c>, <c>{request}</c> annotations dropped), and monotonic sums get <c>_total</c>.
/// </summary>
/// <remarks>
/// Pure functions, no caching: a scrape renders a few hundred names at most, and the exporter caches
/// whole scrapes. Deliberately not handled: OpenMetrics-only suffixes (<c>_created</c>, <c>_info</c>).
/// </remarks>
internal static class PrometheusNaming
{
    private static readonly Dictionary<string, string> UnitNames = new(StringComparer.Ordinal)
    {
        ["d"] = "days",
        ["h"] = "hours",
        ["min"] = "minutes",
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["us"] = "microseconds",
        ["ns"] = "nanoseconds",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["GiBy"] = "gibibytes",
        ["TiBy"] = "tibibytes",
        ["KBy"] = "kilobytes",
        ["MBy"] = "megabytes",
        ["GBy"] = "gigabytes",
        ["TBy"] = "terabytes",
        ["bit"] = "bits",
        ["m"] = "meters",
        ["V"] = "volts",
        ["A"] = "amperes",
        ["J"] = "joules",
        ["W"] = "watts",
        ["g"] = "grams",
        ["Cel"] = "celsius",
        ["Hz"] = "hertz",
        ["%"] = "percent",
    };

    // After "per", units read in the singular: By/s → bytes_per_second.
    private static readonly Dictionary<string, string> PerUnitNames = new(StringComparer.Ordinal)
    {
        ["s"] = "second",
        ["m"] = "minute",
        ["min"] = "minute",
        ["h"] = "hour",
        ["d"] = "day",
        ["w"] = "week",
        ["mo"] = "month",
        ["y"] = "year",
    };

    /// <summary>
    /// The Prometheus family name of an OpenTelemetry instrument: sanitised name, unit suffix, and
    /// <c>_total</c> for counters. Histogram sample suffixes (<c>_bucket</c> …) are added by the writer.
    /// </summary>
    public static string MetricName(string name, string? unit, PrometheusMetricType type)
    {
        var result = SanitizeMetricName(name);
        var unitSuffix = UnitSuffix(unit, type == PrometheusMetricType.Gauge);
        if (unitSuffix.Length > 0 && !result.EndsWith("_" + unitSuffix, StringComparison.Ordinal))
        {
            result = result.EndsWith('_') ? result + unitSuffix : result + "_" + unitSuffix;
        }

        if (type == PrometheusMetricType.Counter && !result.EndsWith("_total", StringComparison.Ordinal))
        {
            result += "_total";
        }

        return result;
    }

    /// <summary>
    /// The suffix a unit contributes, empty when it contributes none. Annotations in braces are
    /// dropped first (<c>{request}</c> → none, <c>By{compressed}</c> → <c>bytes</c>).
    /// </summary>
    public static string UnitSuffix(string? unit, bool isGauge)
    {
        if (string.IsNullOrEmpty(unit))
        {
            return string.Empty;
        }

        var stripped = StripAnnotations(unit).Trim();
        if (stripped.Length == 0)
        {
            return string.Empty;
        }

        if (stripped == "1")
        {
            return isGauge ? "ratio" : string.Empty;
        }

        var slash = stripped.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return SanitizeUnit(UnitNames.GetValueOrDefault(stripped, stripped));
        }

        var numerator = stripped[..slash];
        var denominator = stripped[(slash + 1)..];
        var per = "per_" + SanitizeUnit(PerUnitNames.GetValueOrDefault(denominator, denominator));
        if (numerator.Length == 0 || numerator == "1")
        {
            return per;
        }

        return SanitizeUnit(UnitNames.GetValueOrDefault(numerator, numerator)) + "_" + per;
    }

    /// <summary>
    /// Reduces a metric name to <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>: every other character becomes
    /// <c>_</c>, runs of <c>_</c> collapse to one, and a leading digit gets a <c>_</c> prefix.
    /// </summary>
    public static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true, digitPrefix: "_");

    /// <summary>
    /// Reduces an attribute key to a label name <c>[a-zA-Z_][a-zA-Z0-9_]*</c>
    /// (<c>rpc.method</c> → <c>rpc_method</c>); a leading digit gets <c>key_</c>. Runs of <c>_</c>
    /// collapse, so no label name can start with <c>__</c> (reserved by Prometheus).
    /// </summary>
    public static string SanitizeLabelName(string key) => Sanitize(key, allowColon: false, digitPrefix: "key_");

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static void AppendEscapedLabelValue(StringBuilder builder, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': builder.Append(@"\\"); break;
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append(@"\n"); break;
                default: builder.Append(c); break;
            }
        }
    }

    /// <summary>Escapes <c># HELP</c> text: backslash and line feed (quotes stay as they are).</summary>
    public static void AppendEscapedHelp(StringBuilder builder, string help)
    {
        foreach (var c in help)
        {
            switch (c)
            {
                case '\\': builder.Append(@"\\"); break;
                case '\n': builder.Append(@"\n"); break;
                case '\r': break;
                default: builder.Append(c); break;
            }
        }
    }

    /// <summary>A sample value: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, or the shortest round-trip form.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        return double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string FormatLong(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string StripAnnotations(string unit)
    {
        if (!unit.Contains('{', StringComparison.Ordinal))
        {
            return unit;
        }

        var builder = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string SanitizeUnit(string unit) => Sanitize(unit, allowColon: false, digitPrefix: string.Empty).Trim('_');

    private static string Sanitize(string value, bool allowColon, string digitPrefix)
    {
        var builder = new StringBuilder(value.Length + digitPrefix.Length);
        foreach (var c in value)
        {
            var valid = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'
                || (allowColon && c == ':');
            var next = valid ? c : '_';
            if (next == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(next);
        }

        if (builder.Length == 0)
        {
            return "_";
        }

        if (builder[0] is >= '0' and <= '9')
        {
            builder.Insert(0, digitPrefix);
        }

        return builder.ToString();
    }
}

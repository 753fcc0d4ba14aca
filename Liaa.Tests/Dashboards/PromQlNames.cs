using System.Text.RegularExpressions;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// The metric names a PromQL expression reads, found without a full parser: strings, label
/// matchers, ranges and grouping clauses are cut out first, then every remaining identifier that is
/// not a function call, keyword or part of a number is a metric name.
/// </summary>
/// <remarks>
/// Enough for the queries the dashboards and rules use; it does not understand
/// <c>{__name__="..."}</c> selectors (none are used) and would report them as no metric.
/// </remarks>
internal static partial class PromQlNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2",
    };

    /// <summary>The metric names in <paramref name="expression"/>, in order of first use.</summary>
    public static IReadOnlyList<string> MetricNames(string expression)
    {
        var text = StringLiteral().Replace(expression, "\"\"");
        text = LabelMatchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        var names = new List<string>();
        foreach (Match match in Identifier().Matches(text))
        {
            var before = match.Index > 0 ? text[match.Index - 1] : ' ';
            var after = text.AsSpan(match.Index + match.Length).TrimStart();
            var isNumberPart = char.IsAsciiDigit(before) || before == '.';
            var isCall = after.Length > 0 && after[0] == '(';
            if (!isNumberPart && !isCall && !Keywords.Contains(match.Value) && !names.Contains(match.Value))
            {
                names.Add(match.Value);
            }
        }

        return names;
    }

    /// <summary>The metric names of a Grafana variable query such as <c>label_values(metric{a="b"}, label)</c>.</summary>
    public static IReadOnlyList<string> VariableMetricNames(string query)
    {
        var labelValues = LabelValues().Match(query);
        return labelValues.Success ? MetricNames(labelValues.Groups[1].Value) : MetricNames(query);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^\s*label_values\s*\((.*),\s*\w+\s*\)\s*$", RegexOptions.Singleline)]
    private static partial Regex LabelValues();
}

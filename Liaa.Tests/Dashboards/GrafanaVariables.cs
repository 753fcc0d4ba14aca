using System.Text.RegularExpressions;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// Grafana's template variables in a query: <c>$name</c>, <c>${name}</c>, <c>${name:format}</c> and
/// the old <c>[[name]]</c>. Filling them in turns a panel's query into what Grafana sends Prometheus.
/// </summary>
internal static partial class GrafanaVariables
{
    /// <summary>The variables Grafana defines itself for every dashboard (the ones a PromQL query may use).</summary>
    public static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal)
    {
        "__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
    };

    /// <summary>The variable names <paramref name="text"/> refers to.</summary>
    public static IReadOnlySet<string> Referenced(string text) =>
        Reference().Matches(text).Select(Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="text"/> with every variable replaced by its value in <paramref name="values"/>;
    /// fails the test naming any variable that has no value.
    /// </summary>
    public static string Fill(string text, IReadOnlyDictionary<string, string> values)
    {
        var missing = Referenced(text).Where(v => !values.ContainsKey(v)).ToList();
        Assert.True(missing.Count == 0, $"No value for {string.Join(", ", missing)} in: {text}");
        return Reference().Replace(text, m => values[Name(m)]);
    }

    private static string Name(Match match) =>
        match.Groups["braced"].Success ? match.Groups["braced"].Value
        : match.Groups["plain"].Success ? match.Groups["plain"].Value
        : match.Groups["old"].Value;

    [GeneratedRegex(@"\$\{(?<braced>\w+)(?::[^}]*)?\}|\$(?<plain>\w+)|\[\[(?<old>\w+)\]\]")]
    private static partial Regex Reference();
}

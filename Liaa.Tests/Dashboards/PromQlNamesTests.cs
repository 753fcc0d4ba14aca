namespace Liaa.Tests.Dashboards;

public sealed class PromQlNamesTests
{
    [Fact]
    public void MetricNames_SkipFunctionsGroupingAndLabels_InAQuantile()
    {
        var names = PromQlNames.MetricNames(
            "histogram_quantile(0.99, sum by (rpc_method, le) (rate(liaa_rpc_client_duration_seconds_bucket{job=\"$job\", liaa_rpc_outcome=\"ok\"}[$__rate_interval])))");

        Assert.Equal(["liaa_rpc_client_duration_seconds_bucket"], names);
    }

    [Fact]
    public void MetricNames_FindEveryOperand_OfBinaryOperatorsAndVectorMatching()
    {
        var names = PromQlNames.MetricNames(
            "(sum by (m) (rate(a_total{o=\"timeout\"}[5m])) or sum by (m) (rate(b_count[5m])) * 0) / on (job) group_left (node) c_info > 0.9 * 1e5");

        Assert.Equal(["a_total", "b_count", "c_info"], names);
    }

    [Fact]
    public void MetricNames_IgnoreIdentifiersInsideStrings_AndNumbersWithExponents()
    {
        Assert.Equal(["up"], PromQlNames.MetricNames("up{job=\"rate sum or x\"} == 0 and up offset 5m > 2e-3"));
        Assert.Empty(PromQlNames.MetricNames("vector(0)"));
    }

    [Fact]
    public void VariableMetricNames_ReadTheSelectorOfLabelValues()
    {
        Assert.Equal(["liaa_routing_contacts"], PromQlNames.VariableMetricNames("label_values(liaa_routing_contacts{job=\"$job\"}, node)"));
    }

    [Fact]
    public void Fill_ReplacesEveryVariableSpelling()
    {
        var values = new Dictionary<string, string> { ["job"] = "liaa", ["node"] = "node-1", ["__rate_interval"] = "30s" };

        var filled = GrafanaVariables.Fill("rate(x{job=\"$job\", node=~\"${node}\", n=\"[[node]]\", f=\"${node:regex}\"}[$__rate_interval])", values);

        Assert.Equal("rate(x{job=\"liaa\", node=~\"node-1\", n=\"node-1\", f=\"node-1\"}[30s])", filled);
    }

    [Fact]
    public void Referenced_NamesEachVariableOnce()
    {
        Assert.Equal(
            new HashSet<string> { "job", "node", "__rate_interval" },
            GrafanaVariables.Referenced("a{job=\"$job\", node=\"$node\"}[$__rate_interval] / b{node=\"${node}\"}"));
    }
}

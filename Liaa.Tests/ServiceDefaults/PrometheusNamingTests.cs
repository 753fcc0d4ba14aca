using Liaa.ServiceDefaults.Prometheus;

namespace Liaa.Tests.ServiceDefaults;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("liaa.rpc.client.duration", "s", "Histogram", "liaa_rpc_client_duration_seconds")]
    [InlineData("liaa.storage.size", "By", "Gauge", "liaa_storage_size_bytes")]
    [InlineData("liaa.lookup.duration", "ms", "Histogram", "liaa_lookup_duration_milliseconds")]
    [InlineData("liaa.bucket.fill", "1", "Gauge", "liaa_bucket_fill_ratio")]
    [InlineData("liaa.stores.received", "1", "Counter", "liaa_stores_received_total")]
    [InlineData("liaa.rpc.server.requests", "{request}", "Counter", "liaa_rpc_server_requests_total")]
    [InlineData("liaa.datagrams.dropped", "{datagram}", "Counter", "liaa_datagrams_dropped_total")]
    [InlineData("liaa.routing_table.contacts", "{contact}", "Gauge", "liaa_routing_table_contacts")]
    [InlineData("dotnet.gc.pause.time", "s", "Counter", "dotnet_gc_pause_time_seconds_total")]
    [InlineData("network.io", "By/s", "Gauge", "network_io_bytes_per_second")]
    [InlineData("requests.rate", "{request}/s", "Gauge", "requests_rate_per_second")]
    [InlineData("compressed", "By{compressed}", "Gauge", "compressed_bytes")]
    [InlineData("already_seconds", "s", "Gauge", "already_seconds")]
    [InlineData("already.total", "", "Counter", "already_total")]
    [InlineData("temperature", "Cel", "Gauge", "temperature_celsius")]
    [InlineData("odd-name..with  spaces", null, "Gauge", "odd_name_with_spaces")]
    [InlineData("2fast", null, "Gauge", "_2fast")]
    [InlineData("ns:metric", null, "Gauge", "ns:metric")]
    public void MetricName_FollowsOpenTelemetryRules_ForNameUnitAndType(string name, string? unit, string type, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.MetricName(name, unit, Enum.Parse<PrometheusMetricType>(type)));
    }

    [Theory]
    [InlineData("rpc.method", "rpc_method")]
    [InlineData("service.instance.id", "service_instance_id")]
    [InlineData("le", "le")]
    [InlineData("2xx", "key_2xx")]
    [InlineData("__reserved", "_reserved")]
    [InlineData("a:b", "a_b")]
    [InlineData("ünïcode", "_n_code")]
    public void SanitizeLabelName_MapsToPrometheusCharacterSet(string key, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.SanitizeLabelName(key));
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e21, "1E+21")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void FormatDouble_UsesRoundTripFormAndPrometheusSpecialValues(double value, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.FormatDouble(value));
    }

    [Fact]
    public void FormatAttribute_RendersArraysAsJson()
    {
        Assert.Equal("[\"a\",\"b\\\"c\"]", PrometheusTextWriter.FormatAttribute(new[] { "a", "b\"c" }));
        Assert.Equal("[1,2]", PrometheusTextWriter.FormatAttribute(new long[] { 1, 2 }));
        Assert.Equal("[true,false]", PrometheusTextWriter.FormatAttribute(new[] { true, false }));
    }
}

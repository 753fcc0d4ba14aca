using Liaa.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;

namespace Liaa.Tests.ServiceDefaults;

public sealed class TelemetryConfigurationTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values
                .GroupBy(v => v.Key)
                .Select(g => new KeyValuePair<string, string?>(g.Key, g.Last().Value)))
            .Build();

    [Fact]
    public void FromConfiguration_ReturnsNull_WhenNoEndpointIsSet()
    {
        Assert.Null(OtlpExportSettings.FromConfiguration(Configuration(("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))));
    }

    [Fact]
    public void FromConfiguration_UsesBaseEndpointForEverySignal_WhenProtocolIsGrpcByDefault()
    {
        var settings = OtlpExportSettings.FromConfiguration(Configuration(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")));

        Assert.NotNull(settings);
        Assert.Equal(OtlpExportProtocol.Grpc, settings.Protocol);
        Assert.Equal("http://127.0.0.1:4317/", settings.TracesEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:4317/", settings.MetricsEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:4317/", settings.LogsEndpoint.AbsoluteUri);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces")]
    [InlineData("http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/traces")]
    [InlineData("http://collector:4318/otlp", "http://collector:4318/otlp/v1/traces")]
    public void FromConfiguration_AppendsSignalPaths_WhenProtocolIsHttpProtobuf(string endpoint, string expectedTraces)
    {
        var settings = OtlpExportSettings.FromConfiguration(Configuration(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")));

        Assert.NotNull(settings);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, settings.Protocol);
        Assert.Equal(expectedTraces, settings.TracesEndpoint.AbsoluteUri);
        Assert.Equal(expectedTraces.Replace("/v1/traces", "/v1/metrics", StringComparison.Ordinal), settings.MetricsEndpoint.AbsoluteUri);
        Assert.Equal(expectedTraces.Replace("/v1/traces", "/v1/logs", StringComparison.Ordinal), settings.LogsEndpoint.AbsoluteUri);
    }

    [Fact]
    public void FromConfiguration_TakesPerSignalEndpointVerbatim_AndReadsExportInterval()
    {
        var settings = OtlpExportSettings.FromConfiguration(Configuration(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9999/custom"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000")));

        Assert.NotNull(settings);
        Assert.Equal("http://127.0.0.1:9999/custom", settings.TracesEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:4318/v1/metrics", settings.MetricsEndpoint.AbsoluteUri);
        Assert.Equal(1000, settings.MetricExportIntervalMilliseconds);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", "-5")]
    public void FromConfiguration_ThrowsNamingTheVariable_WhenValueIsMalformed(string key, string value)
    {
        var configuration = Configuration(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"), (key, value));

        var exception = Assert.Throws<InvalidOperationException>(() => OtlpExportSettings.FromConfiguration(configuration));

        Assert.Contains(key, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateResource_UsesDefaultServiceName_WhenNothingIsConfigured()
    {
        var resource = TelemetryResourceFactory.Create(new LiaaTelemetryOptions(), Configuration());
        var attributes = resource.Attributes.ToDictionary(a => a.Key, a => a.Value);

        Assert.Equal("liaa-node", attributes["service.name"]);
        Assert.False(attributes.ContainsKey("service.instance.id"));
        Assert.Equal("opentelemetry", attributes["telemetry.sdk.name"]);
    }

    [Fact]
    public void CreateResource_PrefersServiceNameVariable_OverResourceAttributes()
    {
        var resource = TelemetryResourceFactory.Create(new LiaaTelemetryOptions(), Configuration(
            ("OTEL_SERVICE_NAME", "node-3"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,deployment.environment=dev,note=a%2Cb%3Dc")));
        var attributes = resource.Attributes.ToDictionary(a => a.Key, a => a.Value);

        Assert.Equal("node-3", attributes["service.name"]);
        Assert.Equal("dev", attributes["deployment.environment"]);
        Assert.Equal("a,b=c", attributes["note"]);
    }

    [Fact]
    public void CreateResource_PrefersInstanceIdFromCode_OverEnvironment()
    {
        var options = new LiaaTelemetryOptions { ServiceInstanceId = "0123abcd" };

        var resource = TelemetryResourceFactory.Create(options, Configuration(("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=from-env")));

        Assert.Equal("0123abcd", resource.Attributes.Single(a => a.Key == "service.instance.id").Value);
    }

    [Fact]
    public void CreateResource_TakesInstanceIdFromEnvironment_WhenCodeSetsNone()
    {
        var resource = TelemetryResourceFactory.Create(new LiaaTelemetryOptions(), Configuration(("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=from-env")));

        Assert.Equal("from-env", resource.Attributes.Single(a => a.Key == "service.instance.id").Value);
    }
}

using Google.Protobuf;
using Liaa.AppHost.Otlp;
using Liaa.AppHost.Otlp.Protocol;

namespace Liaa.Tests.Otlp;

public sealed class OtlpConverterTests
{
    [Fact]
    public void ToHex_ReturnsNull_ForMissingAllZeroOrWrongLengthIds()
    {
        Assert.Null(OtlpConverter.ToHex(ByteString.Empty, 8));
        Assert.Null(OtlpConverter.ToHex(ByteString.CopyFrom(new byte[8]), 8));
        Assert.Null(OtlpConverter.ToHex(ByteString.CopyFrom([1, 2, 3]), 8));
        Assert.Equal("00000000000000ff", OtlpConverter.ToHex(ByteString.CopyFrom([0, 0, 0, 0, 0, 0, 0, 0xff]), 8));
    }

    [Fact]
    public void ToValue_ConvertsEveryAnyValueKind()
    {
        var array = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 }, new AnyValue { StringValue = "b" } } } };
        var map = new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "k", Value = new AnyValue { BoolValue = true } } } } };

        Assert.Equal("s", OtlpConverter.ToValue(new AnyValue { StringValue = "s" }));
        Assert.Equal(true, OtlpConverter.ToValue(new AnyValue { BoolValue = true }));
        Assert.Equal(-5L, OtlpConverter.ToValue(new AnyValue { IntValue = -5 }));
        Assert.Equal(0.5, OtlpConverter.ToValue(new AnyValue { DoubleValue = 0.5 }));
        Assert.Equal(new byte[] { 7 }, OtlpConverter.ToValue(new AnyValue { BytesValue = ByteString.CopyFrom([7]) }));
        Assert.Equal(new object?[] { 1L, "b" }, OtlpConverter.ToValue(array));
        Assert.Equal(true, Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(OtlpConverter.ToValue(map))["k"]);
        Assert.Null(OtlpConverter.ToValue(new AnyValue()));
    }

    [Fact]
    public void ToTime_ConvertsUnixNanosecondsAt100NanosecondResolution()
    {
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1), OtlpConverter.ToTime(1_735_689_600_000_000_199));
    }

    [Fact]
    public void ToResource_FilesUnnamedExporterUnderUnknownService()
    {
        Assert.Equal(new ServiceKey("unknown_service", null), OtlpConverter.ToResource(null).Service);
    }

    [Fact]
    public void ToMetricPoints_ReadsGaugeIntAndSummaryPoints()
    {
        var gauge = new Metric { Name = "g", Gauge = new Gauge { DataPoints = { new NumberDataPoint { AsInt = 42 } } } };
        var summary = new Metric { Name = "s", Summary = new Summary { DataPoints = { new SummaryDataPoint { Count = 3, Sum = 1.5 } } } };
        var request = new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { gauge, summary, new Metric { Name = "empty" } } } } } },
        };

        var points = OtlpConverter.ToMetricPoints(request);

        Assert.Equal(2, points.Count);
        Assert.Equal((MetricPointKind.Gauge, 42.0), (points[0].Kind, points[0].Value!.Value));
        Assert.Equal(new SummaryValue(3, 1.5), points[1].Summary);
    }
}

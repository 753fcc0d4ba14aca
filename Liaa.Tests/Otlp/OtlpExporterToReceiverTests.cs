using System.Diagnostics;
using System.Diagnostics.Metrics;
using Liaa.AppHost.Otlp;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Liaa.Tests.Otlp;

/// <summary>
/// The real OpenTelemetry .NET OTLP exporter, in this process, exporting to Liaa's receiver on
/// loopback over both protocols.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OtlpExporterToReceiverTests
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("http/protobuf")]
    [InlineData("grpc")]
    public async Task Receiver_StoresSpansMetricsAndLogs_FromTheOpenTelemetryExporter(string protocol)
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        var (exportProtocol, endpoint) = protocol == "grpc"
            ? (OtlpExportProtocol.Grpc, otlp.GrpcEndpoint)
            : (OtlpExportProtocol.HttpProtobuf, otlp.HttpEndpoint);

        // Names unique to this test case: listeners match sources and meters process-wide.
        var name = "Liaa.Tests.Otlp." + protocol;
        using var source = new ActivitySource(name);
        using var meter = new Meter(name, "1.2.3");
        var sdk = OpenTelemetrySdk.Create(builder => builder
            .ConfigureResource(r => r.Clear().AddService("otlp-" + protocol, serviceInstanceId: "0a0b0c", autoGenerateServiceInstanceId: false))
            .WithTracing(t => t.AddSource(name))
            .WithMetrics(m => m.AddMeter(name).AddView("liaa.test.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [0.1, 1] }))
            .WithLogging(configureBuilder: null, configureOptions: o => o.IncludeFormattedMessage = true)
            .UseOtlpExporter(exportProtocol, endpoint));
        var logger = sdk.GetLoggerFactory().CreateLogger("Liaa.Tests.OtlpCategory");
        var requests = meter.CreateCounter<long>("liaa.test.requests", "{request}", "Test requests.");
        var duration = meter.CreateHistogram<double>("liaa.test.duration", "s");

        Activity? lookup;
        Activity? rpc;
        using (lookup = source.StartActivity("lookup FIND_VALUE"))
        {
            using (rpc = source.StartActivity("FIND_VALUE", ActivityKind.Client))
            {
                rpc?.SetTag("rpc.system", "kademlia");
                rpc?.SetTag("server.port", 8468);
                rpc?.AddEvent(new ActivityEvent("closer contact"));
                OtlpTestLog.Asked(logger, "peer-7");
            }
        }

        requests.Add(2, new KeyValuePair<string, object?>("rpc.method", "PING"));
        requests.Add(1, new KeyValuePair<string, object?>("rpc.method", "PING"));
        duration.Record(0.5);
        duration.Record(2);

        // Disposing shuts the providers down: spans, a final metric export and logs are sent now.
        sdk.Dispose();
        Assert.NotNull(lookup);
        Assert.NotNull(rpc);
        var traceId = lookup.TraceId.ToHexString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(StoreTimeout);
        await store.WaitUntilAsync(
            s => s.GetTrace(traceId).Count == 2
                && s.GetMetrics(new MetricQuery(Name: "liaa.test.duration")).Count > 0
                && s.GetLogs(new LogQuery(TraceId: traceId)).Count > 0,
            timeout.Token);

        var trace = store.GetTrace(traceId);
        var root = Assert.Single(trace, s => s.Name == "lookup FIND_VALUE");
        var child = Assert.Single(trace, s => s.Name == "FIND_VALUE");
        Assert.Null(root.ParentSpanId);
        Assert.Equal(lookup.SpanId.ToHexString(), root.SpanId);
        Assert.Equal(rpc.SpanId.ToHexString(), child.SpanId);
        Assert.Equal(root.SpanId, child.ParentSpanId);
        Assert.Equal(ActivityKind.Client, child.Kind);
        Assert.Equal(ActivityKind.Internal, root.Kind);
        Assert.Equal("kademlia", child.Attributes["rpc.system"]);
        Assert.Equal(8468L, child.Attributes["server.port"]);
        Assert.Equal("closer contact", Assert.Single(child.Events).Name);
        Assert.Equal(name, child.ScopeName);
        Assert.Equal(new ServiceKey("otlp-" + protocol, "0a0b0c"), child.Service);
        Assert.True(child.EndTime >= child.StartTime);

        var summary = Assert.Single(store.ListTraces(new TraceQuery(ServiceName: "otlp-" + protocol)));
        Assert.Equal(traceId, summary.TraceId);
        Assert.Equal("lookup FIND_VALUE", summary.RootName);
        Assert.Equal(2, summary.SpanCount);

        var counter = Assert.Single(store.GetMetrics(new MetricQuery(Name: "liaa.test.requests", LatestOnly: true)));
        Assert.Equal(MetricPointKind.Sum, counter.Kind);
        Assert.True(counter.IsMonotonic);
        Assert.Equal(MetricTemporality.Cumulative, counter.Temporality);
        Assert.Equal(3, counter.Value);
        Assert.Equal("{request}", counter.Unit);
        Assert.Equal("PING", counter.Attributes["rpc.method"]);
        Assert.Equal(name, counter.ScopeName);

        var histogram = Assert.Single(store.GetMetrics(new MetricQuery(Name: "liaa.test.duration", LatestOnly: true))).Histogram;
        Assert.NotNull(histogram);
        Assert.Equal(2UL, histogram.Count);
        Assert.Equal(2.5, histogram.Sum);
        Assert.Equal([0.1, 1], histogram.ExplicitBounds);
        Assert.Equal([0UL, 1UL, 1UL], histogram.BucketCounts);

        var log = Assert.Single(store.GetLogs(new LogQuery(TraceId: traceId)));
        Assert.Equal("Asked peer-7 for the value", log.Body);
        Assert.Equal(rpc.SpanId.ToHexString(), log.SpanId);
        Assert.Equal(LogLevel.Information, log.Level);
        Assert.Equal("Liaa.Tests.OtlpCategory", log.ScopeName);
        Assert.Equal("peer-7", log.Attributes["Peer"]);

        var service = Assert.Single(store.GetServices());
        Assert.Equal(new ServiceKey("otlp-" + protocol, "0a0b0c"), service.Service);
        Assert.Equal(2, service.Spans);
    }
}

internal static partial class OtlpTestLog
{
    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Asked {Peer} for the value")]
    public static partial void Asked(ILogger logger, string peer);
}

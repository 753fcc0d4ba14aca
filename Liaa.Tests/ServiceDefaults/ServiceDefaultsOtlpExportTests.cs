using System.Diagnostics;
using Liaa.Tests.TestSupport;
using Liaa.Tests.TestSupport.Otlp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// <c>AddServiceDefaults</c> with <c>OTEL_EXPORTER_OTLP_*</c> set, exporting to Liaa's receiver:
/// the per-signal paths are right for <c>http/protobuf</c>, and stopping the host flushes what is
/// buffered (the metric export interval is 60 s: the points can only come from the final flush).
/// </summary>
/// <remarks>
/// Run alone: the host's providers listen to process-wide sources (Liaa's activity source, the <c>Liaa.Node</c> meters of
/// nodes made without a meter factory), so tests running beside them feed their exporters: thousands of RPC spans a
/// second fill the span exporter's queue (2,048), which drops what comes when it is full, this test's span included.
/// </remarks>
[Trait("Category", "Integration")]
[Collection(ProcessWideMetersCollection.Name)]
public sealed class ServiceDefaultsOtlpExportTests
{
    // Bounds for events (the span seen, the flushed telemetry received), long enough for a loaded machine: at load 130
    // the gRPC case missed 15 s.
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("http/protobuf")]
    [InlineData("grpc")]
    public async Task StoppingTheHost_ExportsSpansLogsAndMetrics_OverTheConfiguredProtocol(string protocol)
    {
        using var errors = new OpenTelemetryErrorListener();
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        var serviceName = "sd-export-" + protocol.Replace('/', '-');
        var app = await ServiceDefaultsTestApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = serviceName,
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = (protocol == "grpc" ? otlp.GrpcEndpoint : otlp.HttpEndpoint).AbsoluteUri,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
                ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=c0ffee",
            },
            cancellationToken: TestContext.Current.CancellationToken);
        string traceId;
        await using (app)
        {
            using var http = new HttpClient { BaseAddress = app.BaseAddress };
            (await http.GetAsync("/v1/values/exported", TestContext.Current.CancellationToken)).Dispose();
            (await http.GetAsync("/metrics", TestContext.Current.CancellationToken)).Dispose();
            var span = await app.WaitForServerSpanAsync("/v1/values/exported", StoreTimeout);
            traceId = span.TraceId.ToHexString();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(StoreTimeout);
        try
        {
            await store.WaitUntilAsync(
                // Both spans: the server span and the test's client span can reach the receiver in different exports.
                s => s.GetTrace(traceId) is var spans
                    && spans.Any(span => span.Kind == ActivityKind.Server)
                    && spans.Any(span => span.Kind == ActivityKind.Client)
                    && s.GetLogs(new LogQuery(TraceId: traceId)).Count > 0
                    && s.GetMetrics(new MetricQuery(ServiceName: serviceName, Name: "liaa.test.requests")).Count > 0,
                timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"Not all of the telemetry came within {StoreTimeout}: {Received(store, serviceName, traceId, errors)}");
        }

        // The test's own HttpClient is traced too (HttpClient instrumentation): its span is the server span's parent.
        var trace = store.GetTrace(traceId);
        var server = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        var client = Assert.Single(trace, s => s.Kind == ActivityKind.Client);
        Assert.Equal(client.SpanId, server.ParentSpanId);
        Assert.Equal("GET /v1/values/{key}", server.Name);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal("/v1/values/{key}", server.Attributes["http.route"]);
        Assert.Equal(200L, server.Attributes["http.response.status_code"]);
        Assert.Equal(new ServiceKey(serviceName, "c0ffee"), server.Service);
        Assert.Equal("opentelemetry", server.Resource.Attributes["telemetry.sdk.name"]);

        var log = Assert.Single(store.GetLogs(new LogQuery(TraceId: traceId)), l => l.ScopeName == "Liaa.Tests.TestApp");
        Assert.Equal("Value exported requested", log.Body);
        Assert.Equal(server.SpanId, log.SpanId);
        Assert.Equal(new ServiceKey(serviceName, "c0ffee"), log.Service);

        var requests = Assert.Single(store.GetMetrics(new MetricQuery(ServiceName: serviceName, Name: "liaa.test.requests", LatestOnly: true)));
        Assert.Equal(1, requests.Value);
        Assert.NotEmpty(store.GetMetrics(new MetricQuery(ServiceName: serviceName, Name: "dotnet.process.cpu.time")));
        Assert.DoesNotContain(store.GetSpans(new SpanQuery(ServiceName: serviceName)), s => s.Attributes.GetValueOrDefault("url.path") is "/metrics");
    }

    /// <summary>
    /// The export is part of stopping the host, bounded by its shutdown timeout, not left to the providers' disposal,
    /// which the SDK bounds at 5 s: a cold exporter missed that on a busy machine and the telemetry was lost. The
    /// metrics (an hour's interval here) and the buffered span and log are at the receiver when <c>StopAsync</c> returns.
    /// </summary>
    [Theory]
    [InlineData("http/protobuf")]
    [InlineData("grpc")]
    public async Task StoppingTheHost_HasExportedBeforeStopReturns(string protocol)
    {
        using var errors = new OpenTelemetryErrorListener();
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        var serviceName = "sd-stop-" + protocol.Replace('/', '-');
        var app = await ServiceDefaultsTestApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = serviceName,
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = (protocol == "grpc" ? otlp.GrpcEndpoint : otlp.HttpEndpoint).AbsoluteUri,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "3600000",
            },
            // The bound of the flush: long enough for a loaded machine.
            builder => builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = StoreTimeout),
            TestContext.Current.CancellationToken);
        try
        {
            using var http = new HttpClient { BaseAddress = app.BaseAddress };
            (await http.GetAsync("/v1/values/stopped", TestContext.Current.CancellationToken)).Dispose();

            // The server span ends after its response is sent, and the test's collector sees it before the exporter's
            // processor does (the SDK puts export processors last). Kestrel reads the next request on a connection only
            // once the last one has ended: when this answer is back, the span is in the exporter's queue.
            (await http.GetAsync("/alive", TestContext.Current.CancellationToken)).Dispose();
            var traceId = (await app.WaitForServerSpanAsync("/v1/values/stopped", StoreTimeout)).TraceId.ToHexString();

            await app.App.StopAsync(TestContext.Current.CancellationToken);

            var received = Received(store, serviceName, traceId, errors);
            Assert.True(store.GetMetrics(new MetricQuery(ServiceName: serviceName, Name: "liaa.test.requests")).Count > 0, received);
            Assert.True(store.GetTrace(traceId).Any(s => s.Kind == ActivityKind.Server), received);
            Assert.True(store.GetLogs(new LogQuery(TraceId: traceId)).Count > 0, received);
        }
        finally
        {
            await app.App.DisposeAsync();
        }
    }

    // What the receiver holds of this service and trace, and what the SDK reported, for a failure's message.
    private static string Received(TelemetryStore store, string serviceName, string traceId, OpenTelemetryErrorListener errors)
    {
        var metrics = store.GetMetrics(new MetricQuery(ServiceName: serviceName)).Select(m => m.Name).Distinct().Order().ToList();
        return $"trace {traceId}: [{string.Join(", ", store.GetTrace(traceId).Select(s => $"{s.Kind} {s.Name}"))}]; "
            + $"logs of the trace: {store.GetLogs(new LogQuery(TraceId: traceId)).Count}; spans of the service: "
            + $"{store.GetSpans(new SpanQuery(ServiceName: serviceName)).Count}; metrics of the service ({metrics.Count}): "
            + $"[{string.Join(", ", metrics.Take(40))}]; all spans received: {store.GetSpans().Count}; "
            + $"OpenTelemetry warnings and errors in the process:{Environment.NewLine}{string.Join(Environment.NewLine, errors.Events)}";
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Liaa.Node.Hosting;
using Liaa.Node.Telemetry;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// <c>AddServiceDefaults</c> on a plain host: the resource every signal carries (what the environment
/// says, plus what the node adds), logs with trace context, and meters kept apart per host.
/// </summary>
[Collection(ProcessWideMetersCollection.Name)]
public sealed class ServiceDefaultsHostingTests
{
    private static HostApplicationBuilder Builder(params (string Key, string Value)[] configuration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(configuration.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)));
        builder.AddServiceDefaults();
        return builder;
    }

    private static NodeSettings NodeSettings() =>
        Node.Hosting.NodeSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Liaa:Node:NodeId"] = "00112233445566778899aabbccddeeff00112233",
            ["Liaa:Node:Name"] = "node-3",
        }).Build());

    private static Dictionary<string, object> Attributes(Resource resource) => resource.Attributes.ToDictionary(a => a.Key, a => a.Value);

    [Fact]
    public void Resource_KeepsServiceNameAndInstanceIdFromEnvironment_AndAddsNodeAttributes_ForTracesAndLogs()
    {
        var builder = Builder(
            ("OTEL_SERVICE_NAME", "node-3"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,service.instance.id=given-by-aspire,deployment.environment=dev"));
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddAttributes(ServeCommand.NodeResourceAttributes(NodeSettings(), builder.Configuration)));
        using var host = builder.Build();

        var traces = Attributes(host.Services.GetRequiredService<TracerProvider>().GetResource());
        var logs = Attributes(host.Services.GetRequiredService<LoggerProvider>().GetResource());

        foreach (var attributes in new[] { traces, logs })
        {
            Assert.Equal("node-3", attributes["service.name"]);
            Assert.Equal("given-by-aspire", attributes["service.instance.id"]);
            Assert.Equal("dev", attributes["deployment.environment"]);
            Assert.Equal("00112233445566778899aabbccddeeff00112233", attributes["liaa.node.id"]);
            Assert.Equal("node-3", attributes["liaa.node.name"]);
            Assert.Equal("opentelemetry", attributes["telemetry.sdk.name"]);
        }
    }

    [Fact]
    public void Resource_UsesTheNodeIdAsInstanceId_WhenTheEnvironmentGivesNone()
    {
        var builder = Builder(("OTEL_SERVICE_NAME", "by-hand"), ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=dev"));
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddAttributes(ServeCommand.NodeResourceAttributes(NodeSettings(), builder.Configuration)));
        using var host = builder.Build();

        var attributes = Attributes(host.Services.GetRequiredService<TracerProvider>().GetResource());

        Assert.Equal("00112233445566778899aabbccddeeff00112233", attributes["service.instance.id"]);
        Assert.Equal("00112233445566778899aabbccddeeff00112233", attributes["liaa.node.id"]);
    }

    [Fact]
    public void Resource_NamesTheServiceLiaaNode_AndLeavesNoInstanceId_WhenTheEnvironmentSaysNothing()
    {
        using var host = Builder().Build();

        var attributes = Attributes(host.Services.GetRequiredService<TracerProvider>().GetResource());

        Assert.Equal("liaa-node", attributes["service.name"]);
        Assert.False(attributes.ContainsKey("service.instance.id"));
    }

    [Fact]
    public void Resource_TakesServiceNameFromResourceAttributes_WhenNoServiceNameVariableIsSet()
    {
        using var host = Builder(("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes")).Build();

        var attributes = Attributes(host.Services.GetRequiredService<TracerProvider>().GetResource());

        Assert.Equal("from-attributes", attributes["service.name"]);
    }

    [Fact]
    public void AddServiceDefaults_RegistersOnce_WhenCalledTwice()
    {
        var builder = Builder();
        builder.AddServiceDefaults();
        using var host = builder.Build();

        var checks = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        Assert.Equal(["self"], checks.Select(c => c.Name));
    }

    [Fact]
    public async Task Metrics_OfTheNodeMeter_ReachTheHostsReaders_ButNotThoseOfAnotherHostInTheProcess()
    {
        List<MetricSnapshot> exported = [];
        var builder = Builder();
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var otherHost = Builder().Build();
        using var ours = new NodeMetrics(host.Services.GetRequiredService<IMeterFactory>());
        using var theirs = new NodeMetrics(otherHost.Services.GetRequiredService<IMeterFactory>());

        ours.RpcServed("FIND_NODE");
        ours.RpcServed("FIND_NODE");
        theirs.RpcServed("FIND_NODE");
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        await host.StopAsync(TestContext.Current.CancellationToken);

        // Each export appends a snapshot; the sum is cumulative, so the last one holds the total.
        var served = exported.Last(m => m.Name == "liaa.rpc.server.requests");
        Assert.Equal("Liaa.Node", served.MeterName);
        Assert.Equal(2, served.MetricPoints.Sum(p => p.GetSumLong()));
    }

    [Fact]
    public async Task Logs_CarryTraceSpanScopesAndFormattedMessage()
    {
        ConcurrentQueue<LogSnapshot> records = new();
        var builder = Builder();
        builder.Services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new CollectingLogProcessor(records)));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Liaa.Tests.Logs");
        using var source = new ActivitySource("Liaa.Tests.Logs");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Liaa.Tests.Logs",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        using (var activity = source.StartActivity("work"))
        using (logger.BeginScope(new Dictionary<string, object> { ["LookupTarget"] = "abc" }))
        {
            TestAppLog.ValueRequested(logger, "k1");
            Assert.NotNull(activity);
            var record = Assert.Single(records, r => r.Category == "Liaa.Tests.Logs");
            Assert.Equal(activity.TraceId, record.TraceId);
            Assert.Equal(activity.SpanId, record.SpanId);
            Assert.Equal("Value k1 requested", record.FormattedMessage);
            Assert.Contains("abc", record.ScopeValues);
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private sealed record LogSnapshot(
        string? Category,
        ActivityTraceId TraceId,
        ActivitySpanId SpanId,
        string? FormattedMessage,
        List<object?> ScopeValues);

    /// <summary>Copies what it needs: the SDK pools <see cref="LogRecord"/> instances and reuses them after <c>OnEnd</c>.</summary>
    private sealed class CollectingLogProcessor(ConcurrentQueue<LogSnapshot> records) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            List<object?> scopeValues = [];
            data.ForEachScope(
                (scope, values) =>
                {
                    foreach (var item in scope)
                    {
                        values.Add(item.Value);
                    }
                },
                scopeValues);
            records.Enqueue(new LogSnapshot(data.CategoryName, data.TraceId, data.SpanId, data.FormattedMessage, scopeValues));
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Liaa.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Liaa.Tests.ServiceDefaults;

public sealed class ServiceDefaultsHostingTests
{
    /// <summary>Stands in for the node identity, which exists only once the node has read or made its id.</summary>
    private sealed class FakeNodeIdentity
    {
        public string Id { get; } = "5f3c9a";
    }

    private static IReadOnlyDictionary<string, object> Attributes(OpenTelemetry.Resources.Resource resource) =>
        resource.Attributes.ToDictionary(a => a.Key, a => a.Value);

    [Fact]
    public async Task InstanceId_ReachesTracingMetricsAndLogs_WhenConfiguredFromAServiceAfterAddServiceDefaults()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        builder.Services.AddSingleton<FakeNodeIdentity>();
        builder.Services.AddOptions<LiaaTelemetryOptions>().Configure<FakeNodeIdentity>((o, identity) => o.ServiceInstanceId = identity.Id);
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);
        var telemetry = host.Services.GetRequiredService<LiaaTelemetry>();
        var loggerResource = host.Services.GetRequiredService<LoggerProvider>().GetResource();
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal("5f3c9a", Attributes(telemetry.Resource)["service.instance.id"]);
        Assert.Equal("liaa-node", Attributes(telemetry.Resource)["service.name"]);
        Assert.Equal("5f3c9a", Attributes(loggerResource)["service.instance.id"]);
        Assert.Equal("liaa-node", Attributes(loggerResource)["service.name"]);
    }

    [Fact]
    public async Task Telemetry_IsDisposed_OnceTheHostHasStopped()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults().AddServiceDefaults();
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);
        var telemetry = host.Services.GetRequiredService<LiaaTelemetry>();
        var flushedWhileRunning = telemetry.ForceFlush(TimeSpan.FromSeconds(5));
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.True(flushedWhileRunning);
        Assert.False(telemetry.ForceFlush(TimeSpan.FromSeconds(5)));
        Assert.Single(host.Services.GetServices<IHostedService>(), s => s.GetType().Name == "TelemetryLifetimeService");
    }

    [Fact]
    public async Task Logs_CarryTraceSpanScopesAndFormattedMessage_ThroughConfigureLogging()
    {
        ConcurrentQueue<LogSnapshot> records = new();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(o => o.ConfigureLogging = logging => logging.AddProcessor(new CollectingLogProcessor(records)));
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

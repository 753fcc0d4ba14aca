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
}

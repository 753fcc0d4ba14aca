using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Logs;

namespace Liaa.ServiceDefaults;

/// <summary>
/// Ties <see cref="LiaaTelemetry"/> to the host's lifetime: the SDK starts listening in
/// <see cref="StartingAsync"/>, before any hosted service (the node, Kestrel) starts, and is shut
/// down in <see cref="StoppedAsync"/>, after all of them stopped, so the spans of the last requests
/// and RPCs are exported rather than lost with the process.
/// </summary>
internal sealed class TelemetryLifetimeService(IServiceProvider services) : IHostedLifecycleService
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<LiaaTelemetry>();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<LiaaTelemetry>().Dispose();

        // The logger provider belongs to the container and is disposed with it; flushing here gets
        // the shutdown logs out even if the process ends before the container is disposed.
        services.GetService<LoggerProvider>()?.ForceFlush((int)FlushTimeout.TotalMilliseconds);
        return Task.CompletedTask;
    }
}

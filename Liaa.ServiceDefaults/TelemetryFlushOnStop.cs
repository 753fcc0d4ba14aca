using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Liaa.ServiceDefaults;

/// <summary>
/// Exports what the OTLP exporters hold when the host has stopped (after every hosted service's <c>StopAsync</c>, so
/// the last requests' spans and logs have ended), within the host's <see cref="HostOptions.ShutdownTimeout"/>.
/// </summary>
/// <remarks>
/// Without it the only final export is the providers' disposal, which the SDK bounds at 5 s per provider whatever the
/// host's shutdown timeout says. A cold exporter's first export (the metrics' is always the last one, at a 60 s export
/// interval) costs JIT, a connection and, for gRPC, an HTTP/2 handshake; on a busy machine (load 50 to 100, a hundred
/// nodes stopping at once) that missed the 5 s and the telemetry was dropped without a word
/// (<c>ServiceDefaultsOtlpExportTests</c> timed out waiting for it). The disposal still shuts the providers down
/// afterwards; by then their buffers are empty. Registered only when OTLP export is on: Prometheus is scraped, not pushed.
/// </remarks>
internal sealed class TelemetryFlushOnStop(IServiceProvider services, IOptions<HostOptions> hostOptions) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var timeout = hostOptions.Value.ShutdownTimeout;
        var milliseconds = timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds >= int.MaxValue
            ? Timeout.Infinite
            : (int)Math.Max(0, timeout.TotalMilliseconds);

        // ForceFlush blocks until its exports end or the bound passes: the three signals export side by side.
        var tracer = services.GetService<TracerProvider>();
        var logger = services.GetService<LoggerProvider>();
        var meter = services.GetService<MeterProvider>();
        var flushes = new List<Task>(3);
        if (tracer is not null)
        {
            flushes.Add(Task.Run(() => tracer.ForceFlush(milliseconds), CancellationToken.None));
        }

        if (logger is not null)
        {
            flushes.Add(Task.Run(() => logger.ForceFlush(milliseconds), CancellationToken.None));
        }

        if (meter is not null)
        {
            flushes.Add(Task.Run(() => meter.ForceFlush(milliseconds), CancellationToken.None));
        }

        try
        {
            await Task.WhenAll(flushes).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout passed: the flushes end by their own bound; the host goes on stopping.
        }
    }
}

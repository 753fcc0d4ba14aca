using System.Runtime.InteropServices;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The AppHost's main loop: start the cluster with progress, print it, report state changes until
/// Ctrl+C (or SIGTERM, SIGHUP), then stop everything gracefully. A second Ctrl+C kills at once.
/// </summary>
/// <remarks>
/// TODO(issue 5, item 3 and issue 6): start the OTLP receiver before the cluster and pass it as
/// <see cref="LiaaClusterOptions.Telemetry"/>; serve the dashboard on <see cref="AppHostOptions.DashboardPort"/>.
/// </remarks>
internal static class AppHostRunner
{
    // One Ctrl+C can arrive twice (e.g. `timeout` signals the process and its group); only a second
    // request after this long means "kill now".
    private static readonly TimeSpan RepeatedSignalWindow = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(AppHostOptions options)
    {
        var timeProvider = TimeProvider.System;
        var console = ClusterConsole.ForCurrentTerminal(timeProvider);
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(simple =>
            {
                simple.SingleLine = true;
                simple.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Warning));

        LiaaCluster cluster;
        try
        {
            cluster = new LiaaCluster(options.ToClusterOptions(loggerFactory));
        }
        catch (Exception exception) when (exception is FileNotFoundException or ArgumentException)
        {
            console.Error(exception.Message);
            return 1;
        }

        using var stopping = new CancellationTokenSource();
        var interrupts = 0;
        var firstInterrupt = 0L;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                Volatile.Write(ref firstInterrupt, timeProvider.GetTimestamp());
                cluster.BeginShutdown();
                console.Info("Stopping the cluster… (Ctrl+C again to kill)");
                stopping.Cancel();
            }
            else if (timeProvider.GetElapsedTime(Volatile.Read(ref firstInterrupt)) > RepeatedSignalWindow)
            {
                console.Info("Killing the cluster.");
                cluster.KillAll();
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        var exitCode = 0;
        var reporting = false;
        try
        {
            console.Starting(cluster);
            var started = timeProvider.GetTimestamp();
            await console.StartAsync(cluster, stopping.Token).ConfigureAwait(false);
            console.Ready(cluster, timeProvider.GetElapsedTime(started), options);
            cluster.NodeChanged += console.OnNodeChanged;
            reporting = true;
            if (!Console.IsInputRedirected)
            {
                console.Info("Type 'help' for commands (status, add, stop, start, restart, kill, remove, logs).");
                _ = ReadCommandsAsync(new ClusterCommands(cluster), console, stopping.Token);
            }
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is NodeStartException or AggregateException or TimeoutException)
        {
            console.Error(exception.Message);
            exitCode = 1;
        }
        finally
        {
            // The stop of each node is reported too, also after a failed or interrupted start.
            if (!reporting)
            {
                cluster.NodeChanged += console.OnNodeChanged;
            }

            await cluster.DisposeAsync().ConfigureAwait(false);
            cluster.NodeChanged -= console.OnNodeChanged;
        }

        console.Info(exitCode == 0 ? "Stopped." : "Stopped after a failed start.");
        return exitCode;
    }

    /// <summary>
    /// Runs console commands until shutdown. Not awaited: a blocking <see cref="Console.ReadLine"/>
    /// cannot be cancelled, and the process exits without waiting for it once the cluster is stopped.
    /// </summary>
    private static async Task ReadCommandsAsync(ClusterCommands commands, ClusterConsole console, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = await Task.Run(Console.ReadLine, CancellationToken.None).ConfigureAwait(false);
            if (line is null || cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                var output = await commands.ExecuteAsync(line, cancellationToken).ConfigureAwait(false);
                if (output.Length > 0)
                {
                    console.Info(output);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}

using System.Runtime.InteropServices;
using Liaa.AppHost.Hosting;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The AppHost's main loop: start its web application (the OTLP receiver the nodes export to, and
/// the dashboard listener), start the cluster with progress, print it, report state changes until
/// Ctrl+C (or SIGTERM, SIGHUP), then stop everything gracefully. A second Ctrl+C kills at once.
/// </summary>
/// <remarks>
/// The web application (<see cref="AppHostWebHost"/>) starts before the nodes, so their first spans
/// have somewhere to go, and stops after them, so their last flush arrives.
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
        using var loggerFactory = LoggerFactory.Create(ConfigureLogging);

        await using var web = new AppHostWebHost(new AppHostWebHostOptions
        {
            DashboardPort = options.DashboardPort,
            ConfigureLogging = ConfigureLogging,
        });
        var clusterOptions = options.ToClusterOptions(loggerFactory);
        if (clusterOptions.OtlpEndpoint is null)
        {
            clusterOptions.Telemetry = web.TelemetryFor(options.OtlpProtocol);
        }

        LiaaCluster cluster;
        try
        {
            cluster = new LiaaCluster(clusterOptions);
            await web.StartAsync(cluster).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is FileNotFoundException or ArgumentException or IOException)
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
            console.Ready(cluster, timeProvider.GetElapsedTime(started), options, DescribeServices(web, clusterOptions));
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

    /// <summary>Warnings and errors only, one line each: the console is the cluster's.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging) => logging
        .AddSimpleConsole(simple =>
        {
            simple.SingleLine = true;
            simple.TimestampFormat = "HH:mm:ss ";
        })
        .SetMinimumLevel(LogLevel.Warning);

    /// <summary>Where the nodes' telemetry goes and where the dashboard is, for the ready message.</summary>
    internal static IReadOnlyList<string> DescribeServices(AppHostWebHost web, LiaaClusterOptions clusterOptions)
    {
        var receiver = $"http/protobuf {web.Receiver.HttpEndpoint.AbsoluteUri.TrimEnd('/')}, grpc {web.Receiver.GrpcEndpoint.AbsoluteUri.TrimEnd('/')}";
        var userEndpoint = System.Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT");
        var telemetry = clusterOptions.PassThroughUserOtlpEndpoint && !string.IsNullOrWhiteSpace(userEndpoint)
            ? $"Telemetry: nodes export to your OTEL_EXPORTER_OTLP_ENDPOINT={userEndpoint}; the AppHost's receiver ({receiver}) gets none."
            : clusterOptions.Telemetry is { } own
                ? $"Telemetry: nodes export OTLP over {own.Protocol} to the AppHost's receiver ({receiver})."
                : $"Telemetry: nodes export OTLP over {clusterOptions.OtlpProtocol} to {clusterOptions.OtlpEndpoint} (Liaa:AppHost:OtlpEndpoint).";
        var dashboard = web.DashboardUrl is { } url
            ? $"Dashboard: {url}"
            : web.DashboardProblem is { } problem
                ? $"Dashboard: not served: {problem}."
                : web.DashboardListenerUrl is { } listener
                    ? $"Dashboard: not built yet (issue 6); {listener} is held for it."
                    : "Dashboard: off.";
        return [telemetry, dashboard];
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

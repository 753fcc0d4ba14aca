
namespace Liaa.AppHost.Orchestration;

/// <summary>The orchestration's log messages (EventIds 5000–5099). State changes go through <see cref="LiaaCluster.NodeChanged"/>; these are the rest.</summary>
internal static partial class OrchestrationLog
{
    [LoggerMessage(5000, LogLevel.Warning, "{Node} exited with code {ExitCode} before it became healthy; starting it again on fresh ports (attempt {Attempt})")]
    public static partial void NodeStartRetry(ILogger logger, string node, int? exitCode, int attempt);

    [LoggerMessage(5001, LogLevel.Warning, "{Node} (pid {ProcessId}) exited unexpectedly with code {ExitCode}")]
    public static partial void NodeCrashed(ILogger logger, string node, int processId, int exitCode);

    [LoggerMessage(5002, LogLevel.Information, "Restarting {Node} after a crash (automatic restart {Count} of {Max})")]
    public static partial void NodeAutoRestart(ILogger logger, string node, int count, int max);

    [LoggerMessage(5003, LogLevel.Warning, "Automatic restart of {Node} failed")]
    public static partial void NodeAutoRestartFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(5004, LogLevel.Error, "A NodeChanged handler threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(5010, LogLevel.Warning, "Prometheus not started: {Reason}")]
    public static partial void PrometheusNotStarted(ILogger logger, string reason);

    [LoggerMessage(5011, LogLevel.Information, "Prometheus listening on {Url}, targets in {TargetsPath}")]
    public static partial void PrometheusStarted(ILogger logger, Uri url, string targetsPath);

    [LoggerMessage(5012, LogLevel.Warning, "Could not write the Prometheus targets file {Path}")]
    public static partial void TargetsWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(5013, LogLevel.Warning, "Prometheus (pid {ProcessId}) exited with code {ExitCode} while the cluster was running")]
    public static partial void PrometheusExited(ILogger logger, int processId, int exitCode);

    [LoggerMessage(5020, LogLevel.Debug, "Could not remove the work directory {Path}")]
    public static partial void WorkDirectoryCleanupFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(5021, LogLevel.Warning, "{Count} process(es) were still running after the graceful stop and were killed: {ProcessIds}")]
    public static partial void KilledAfterStop(ILogger logger, int count, string processIds);
}

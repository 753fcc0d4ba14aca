using Microsoft.Extensions.Logging;

namespace Liaa.AppHost;

/// <summary>The AppHost's own log lines (EventIds 9000–9099), written to the resource's log in the dashboard.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9000, Level = LogLevel.Information, Message = "{Outcome} (trace {TraceId})")]
    public static partial void ValueCommand(ILogger logger, string outcome, string traceId);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Killed pid {Pid} with SIGKILL (the Crash command)")]
    public static partial void Crashed(ILogger logger, int pid);
}

namespace Liaa.AppHost.Orchestration;

/// <summary>Where a captured console line came from.</summary>
public enum ConsoleStream
{
    /// <summary>The process's standard output.</summary>
    Output,

    /// <summary>The process's standard error.</summary>
    Error,

    /// <summary>A line the AppHost wrote itself (started, exited with code …).</summary>
    AppHost,
}

/// <summary>One captured console line; <paramref name="Sequence"/> starts at 1 and never repeats within a log.</summary>
public sealed record ConsoleLine(long Sequence, DateTimeOffset Timestamp, ConsoleStream Stream, string Text);

// One source file compiled into two assemblies: Liaa.Simulation (where ChildProcess.RunAsync, the tests and Liaa.Bench use
// it, Liaa.Bench's copy of NativeAotNode.cs included) and the AppHost (its copy of NativeAotNode.cs), linked by their
// project files: the AppHost must not reference Liaa.Simulation. Each gets it in its own namespace, so that Liaa.Tests,
// which sees the internals of both, does not see one type name twice.
using System.Diagnostics;

#if LIAA_SIMULATION
namespace Liaa.Node.Simulation;
#else
namespace Liaa.AppHost;
#endif

/// <summary>
/// A command run to its end: its standard output and error read to their ends (both at once, so that neither pipe fills
/// and blocks the child), <c>standardInput</c> written and then closed, and, past the timeout or on cancellation, the
/// process killed with everything it started (by its PID) and waited for, a few seconds at most. The one copy of this
/// plumbing; <see cref="ProcessStartInfo"/> (program, arguments, working directory, environment) is the caller's.
/// </summary>
internal static class CommandRunner
{
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="start"/> (its redirections are set here) and returns its exit code and what it wrote to
    /// standard output and error.
    /// </summary>
    /// <param name="start">The command: program, arguments, working directory, environment.</param>
    /// <param name="standardInput">Written to its standard input, which is then closed (empty: closed at once).</param>
    /// <param name="timeout">How long it may run (<see cref="Timeout.InfiniteTimeSpan"/>: until it ends or is cancelled).</param>
    /// <param name="cancellationToken">Kills it, and is rethrown.</param>
    /// <exception cref="TimeoutException">It ran past <paramref name="timeout"/>; the message holds what it had written.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the process is killed first).</exception>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(
        ProcessStartInfo start,
        string standardInput,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), deadline.Token).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            // Stopped (Ctrl+C, a test's end) or out of time: the command and whatever it started (a publish's compilers)
            // go too, by this child's PID.
            process.Kill(entireProcessTree: true);
            using var killed = new CancellationTokenSource(KillTimeout);
            await process.WaitForExitAsync(killed.Token).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not end within {timeout.TotalSeconds:F0} s; it wrote:\n{await output.ConfigureAwait(false)}{await errors.ConfigureAwait(false)}", ex);
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await errors.ConfigureAwait(false));
    }
}

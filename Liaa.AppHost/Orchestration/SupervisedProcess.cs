using System.ComponentModel;
using System.Diagnostics;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// One running child process (a node, Prometheus): its stdout and stderr copied line by line into a
/// <see cref="ConsoleLog"/>, its exit observed as a task, and the ways to end it. Standard input is a
/// pipe nobody writes to; the child treats its end of file as "the AppHost is gone" (nodes through
/// ParentWatcher), so closing it is part of a graceful stop and the kernel closes it if the AppHost dies.
/// </summary>
internal sealed class SupervisedProcess : IDisposable
{
    // After exit, output still buffered in the pipes is drained, but not forever: a grandchild that
    // inherited the pipes could keep them open.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly ConsoleLog _log;
    private readonly Action<string>? _onOutputLine;
    private readonly TimeProvider _timeProvider;
    private int _inputClosed;

    private SupervisedProcess(Process process, ConsoleLog log, Action<string>? onOutputLine, TimeProvider timeProvider)
    {
        _process = process;
        _log = log;
        _onOutputLine = onOutputLine;
        _timeProvider = timeProvider;
        Id = process.Id;
        StartedAt = timeProvider.GetUtcNow();
        var output = PumpAsync(process.StandardOutput, ConsoleStream.Output);
        var error = PumpAsync(process.StandardError, ConsoleStream.Error);
        Exited = WaitForExitAsync(output, error);
    }

    public int Id { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Completes with the exit code (128 + signal when killed by a signal on Unix) once the process has exited and its output is read.</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    /// <summary>Starts <paramref name="startInfo"/>, which must redirect all three standard streams.</summary>
    /// <exception cref="Win32Exception">The program could not be started.</exception>
    public static SupervisedProcess Start(ProcessStartInfo startInfo, ConsoleLog log, TimeProvider timeProvider, Action<string>? onOutputLine = null)
    {
        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new SupervisedProcess(process, log, onOutputLine, timeProvider);
    }

    /// <summary>Asks for a graceful exit: SIGTERM, and end of file on standard input.</summary>
    public void RequestStop()
    {
        if (HasExited)
        {
            return;
        }

        ProcessSignals.TryTerminate(Id);
        CloseStandardInput();
    }

    /// <summary>Kills the process and anything it started, at once.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Exiting right now.
        }
    }

    /// <summary>
    /// Stops gracefully, kills after <paramref name="gracePeriod"/>, and returns the exit code.
    /// Cancelling <paramref name="cancellationToken"/> kills at once; the exit is still awaited.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        RequestStop();
        try
        {
            await Exited.WaitAsync(gracePeriod, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            Kill();
        }

        return await Exited.ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (!HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void CloseStandardInput()
    {
        if (Interlocked.Exchange(ref _inputClosed, 1) != 0)
        {
            return;
        }

        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child is gone already.
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task PumpAsync(StreamReader reader, ConsoleStream stream)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _log.Append(stream, line);
                if (stream == ConsoleStream.Output)
                {
                    _onOutputLine?.Invoke(line);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            // The pipe broke with the process; what was read is kept.
        }
    }

    private async Task<int> WaitForExitAsync(Task output, Task error)
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(output, error), Task.Delay(DrainTimeout, _timeProvider)).ConfigureAwait(false);
        CloseStandardInput();
        return _process.ExitCode;
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Liaa.Node.Hosting;

/// <summary>
/// Ends a node started by the Liaa AppHost when the AppHost ends, however it ends (Ctrl+C, a crash,
/// <c>kill -9</c>), so no node outlives its orchestrator.
/// </summary>
/// <remarks>
/// <para>
/// The AppHost starts every node with a redirected standard input that it never writes to, and with
/// <c>LIAA_PARENT_PID=&lt;its pid&gt;</c>. Either of two signals means the parent is gone:
/// </para>
/// <list type="number">
/// <item>End of file on standard input. The kernel closes the parent's end of the pipe when the
/// parent process ends, whatever killed it, so a blocking read returns 0 at once: no polling and no
/// Linux-only <c>PR_SET_PDEATHSIG</c> (which .NET cannot set between fork and exec anyway). The AppHost
/// also closes the pipe on purpose as part of a graceful stop.</item>
/// <item>The parent pid is gone, checked every <see cref="PollInterval"/>: a fallback for when the
/// pipe stays open (another process inherited its write end). On Unix, when the parent pid is our
/// actual parent at start, the check is <c>getppid()</c> changing (we were re-parented), which is
/// immune to pid reuse; otherwise the pid is probed with <c>kill(pid, 0)</c>.</item>
/// </list>
/// <para>
/// Nothing happens when <c>LIAA_PARENT_PID</c> is absent: a node started by hand never reads its
/// console input. Do not set the variable with standard input at <c>/dev/null</c> (that reads as
/// end of file at once, and the node stops).
/// </para>
/// </remarks>
internal sealed class ParentWatcher : IDisposable
{
    /// <summary>The environment variable the AppHost sets to its own process id.</summary>
    public const string ParentPidVariable = "LIAA_PARENT_PID";

    /// <summary>How often the fallback checks that the parent pid still exists.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a graceful host shutdown may take before the process exits anyway.</summary>
    public static readonly TimeSpan GracefulExitTimeout = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource<string> _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _parentPid;
    private readonly Func<int, bool> _isParentAlive;
    private readonly TimeProvider _timeProvider;
    private readonly Task _poll;

    private ParentWatcher(int parentPid, Stream? input, Func<int, bool> isParentAlive, TimeProvider timeProvider)
    {
        _parentPid = parentPid;
        _isParentAlive = isParentAlive;
        _timeProvider = timeProvider;
        if (input is not null)
        {
            // A dedicated background thread: the read blocks for the node's whole life, and a
            // thread-pool thread parked that long would only starve the pool.
            var reader = new Thread(() => ReadUntilEndOfFile(input))
            {
                IsBackground = true,
                Name = "Liaa parent watcher (stdin)",
            };
            reader.Start();
        }

        _poll = PollAsync(_stop.Token);
    }

    /// <summary>Completes, with a short reason, once the parent is known to be gone.</summary>
    public Task<string> ParentGone => _gone.Task;

    /// <summary>
    /// The node's entry point: when <c>LIAA_PARENT_PID</c> is set, watches the parent and, once it is
    /// gone, stops the host gracefully through <paramref name="lifetime"/> (exiting anyway after
    /// <see cref="GracefulExitTimeout"/>), or exits the process at once when no lifetime is given.
    /// Call it once, early in <c>serve</c>, e.g. right after <c>builder.Build()</c> with
    /// <c>app.Lifetime</c>. Returns the watcher, or null when the variable is not set.
    /// </summary>
    public static ParentWatcher? StartIfRequested(IHostApplicationLifetime? lifetime = null)
    {
        var value = Environment.GetEnvironmentVariable(ParentPidVariable);
        if (!int.TryParse(value, out var parentPid) || parentPid <= 0)
        {
            return null;
        }

        var watcher = Start(parentPid, Console.OpenStandardInput(), CreateParentProbe(parentPid), TimeProvider.System);
        _ = watcher.ParentGone.ContinueWith(
            gone => ShutdownAsync(gone.Result, lifetime),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).Unwrap();
        return watcher;
    }

    /// <summary>Starts watching; <paramref name="input"/> null watches the pid only. For tests and <see cref="StartIfRequested"/>.</summary>
    internal static ParentWatcher Start(int parentPid, Stream? input, Func<int, bool> isParentAlive, TimeProvider timeProvider) =>
        new(parentPid, input, isParentAlive, timeProvider);

    /// <summary>
    /// The liveness probe for <paramref name="parentPid"/>: re-parenting on Unix when it is our
    /// parent now, otherwise whether a process with that id exists.
    /// </summary>
    internal static Func<int, bool> CreateParentProbe(int parentPid)
    {
        if (OperatingSystem.IsWindows())
        {
            return ProcessExists;
        }

        if (NativeMethods.getppid() == parentPid)
        {
            return pid => NativeMethods.getppid() == pid;
        }

        return pid => NativeMethods.kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == NativeMethods.Eperm;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task ShutdownAsync(string reason, IHostApplicationLifetime? lifetime)
    {
        try
        {
            await Console.Error.WriteLineAsync($"Liaa node: {reason}; {(lifetime is null ? "exiting" : "shutting down")}.").ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The parent held the other end of stderr too; nobody is left to read it.
        }

        if (lifetime is null)
        {
            Environment.Exit(0);
            return;
        }

        lifetime.StopApplication();
        var stopped = Task.Delay(Timeout.Infinite, lifetime.ApplicationStopped);
        var deadline = Task.Delay(GracefulExitTimeout, TimeProvider.System);
        if (await Task.WhenAny(stopped, deadline).ConfigureAwait(false) == deadline)
        {
            Environment.Exit(1);
        }
    }

    private void ReadUntilEndOfFile(Stream input)
    {
        var buffer = new byte[256];
        try
        {
            while (input.Read(buffer, 0, buffer.Length) > 0)
            {
                // Nothing is ever written on purpose; anything that is is discarded.
            }

            _gone.TrySetResult("standard input closed (the AppHost stopped this node, or is gone)");
        }
        catch (IOException)
        {
            _gone.TrySetResult("standard input failed (the AppHost is gone)");
        }
        catch (ObjectDisposedException)
        {
            // Disposed by a test; not a parent signal.
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!_isParentAlive(_parentPid))
                {
                    _gone.TrySetResult($"parent process {_parentPid} has exited");
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static class NativeMethods
    {
        public const int Eperm = 1;

        [DllImport("libc", SetLastError = true)]
        public static extern int getppid();

        [DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int signal);
    }
}

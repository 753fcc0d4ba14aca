using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Liaa.Node.Hosting;

namespace Liaa.Node.Simulation;

/// <summary>
/// A process started by the bench or a test (a node of a cluster, a <c>serve</c> or a one-shot <c>put</c>, the
/// OpenDHT workload, the AppHost, a tool such as <c>promtool</c> or <c>ip</c>): its output read line by line, each
/// line stamped with the time it arrived, and a kill by PID that is bounded in time. The one copy of this
/// plumbing: <c>Liaa.Bench</c>'s cluster and every process the tests start go through here (<see cref="Start"/>
/// for a process that runs beside the caller, <see cref="RunAsync"/> for a command run to its end). Standard input is a pipe nobody writes to: Liaa's
/// <c>serve</c> (with <c>LIAA_PARENT_PID</c>) and the OpenDHT script both exit when it closes, so nothing
/// outlives a crashed bench or test run.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);

    // Every process started here and not disposed yet, for KillAllByPid: a bench told to stop by a signal ends them at once.
    private static readonly HashSet<ChildProcess> Started = [];

    private readonly Process _process;
    private readonly Channel<(string Line, long At)> _lines = Channel.CreateUnbounded<(string, long)>();
    private readonly List<string> _tail = [];
    private readonly Action<string, long>? _onLine;
    private volatile bool _killedByPid;

    private ChildProcess(Process process, Action<string, long>? onLine)
    {
        _process = process;
        _onLine = onLine;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines of output, for error messages.</summary>
    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/>. Its environment is this process's without any <c>OTEL_</c> variable (no
    /// telemetry export unless <paramref name="environment"/> asks for it), with <c>LIAA_PARENT_PID</c> set to this
    /// process (a Liaa node exits when its caller does), then <paramref name="environment"/> on top: a null value
    /// removes the variable. <paramref name="onLine"/> sees every line of standard output and error as it arrives.
    /// </summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        Action<string, long>? onLine = null,
        string? workingDirectory = null)
    {
        var info = StartInfo(fileName, arguments, workingDirectory);
        info.Environment[ParentWatcher.ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Apply(environment, info);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        var child = new ChildProcess(process, onLine);
        lock (Started)
        {
            Started.Add(child);
        }

        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Runs a command to its end with <paramref name="standardInput"/> as its input and returns its exit code and what it
    /// wrote to standard output and error (<see cref="CommandRunner"/>, in the environment <see cref="Start"/> gives, without
    /// <c>LIAA_PARENT_PID</c>). Past <paramref name="timeout"/> it is killed (with anything it started) and a
    /// <see cref="TimeoutException"/> says what it had written.
    /// </summary>
    public static Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string standardInput,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = StartInfo(fileName, arguments, workingDirectory: null);
        info.Environment.Remove(ParentWatcher.ParentPidVariable);
        Apply(environment, info);
        return CommandRunner.RunAsync(info, standardInput, timeout, cancellationToken);
    }

    /// <summary>Waits (bounded) for a line matching <paramref name="pattern"/>: the match and when the line arrived.</summary>
    public async Task<(Match Match, long At)> WaitForLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var (line, at) = await _lines.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
                if (pattern.Match(line) is { Success: true } match)
                {
                    return (match, at);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no line matching {pattern} within {timeout.TotalSeconds:F0} s (pid {Pid}); last output:\n{Tail}", ex);
        }
    }

    /// <summary>Waits for the process to exit (output read to its end) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        _process.WaitForExit(); // returns at once; makes sure the last output lines were handed over
        return _process.ExitCode;
    }

    /// <summary>Kills the process (SIGKILL on Unix: no shutdown code runs) and anything it started, by PID, and waits for it, at most <paramref name="bound"/>.</summary>
    public async Task KillAsync(TimeSpan bound)
    {
        _process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(bound);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
    }

    /// <summary>Closes the process's standard input, as this process ending would: a Liaa node with <c>LIAA_PARENT_PID</c> takes it for its parent gone.</summary>
    public void CloseStandardInput() => _process.StandardInput.Close();

    /// <summary>
    /// Sends SIGKILL (on Windows, terminates) to this process only, by its PID, and returns at once; anything it started
    /// is not looked for. <see cref="KillAsync"/> and <see cref="DisposeAsync"/> walk the whole process table to find
    /// the process's descendants (up to a second a process on a loaded 2-core machine: a bench's 20 nodes died one or two a second),
    /// which a process killed here is spared; for processes that start none (a node, an OpenDHT runner).
    /// </summary>
    public void KillByPid()
    {
        try
        {
            _process.Kill();
            _killedByPid = true;
        }
        catch (InvalidOperationException)
        {
            // Exited (or disposed) already.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Not killed: DisposeAsync tries again.
        }
    }

    /// <summary>
    /// <see cref="KillByPid"/> for every process <see cref="Start"/> started in this process and not disposed yet, all at
    /// once; safe from any thread (a signal handler's). How many were signalled.
    /// </summary>
    public static int KillAllByPid()
    {
        ChildProcess[] started;
        lock (Started)
        {
            started = [.. Started];
        }

        foreach (var child in started)
        {
            child.KillByPid();
        }

        return started.Length;
    }

    /// <summary>Resident memory of the process now, in bytes (0 once it has exited).</summary>
    public long WorkingSet()
    {
        try
        {
            _process.Refresh();
            return _process.HasExited ? 0 : _process.WorkingSet64;
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>CPU time (user and system) the process has used so far; null once it has exited.</summary>
    public TimeSpan? CpuTime()
    {
        try
        {
            _process.Refresh();
            return _process.HasExited ? null : _process.TotalProcessorTime;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string? workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Only loopback, and no telemetry export from the nodes under test unless asked for.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToArray())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    private static void Apply(IReadOnlyDictionary<string, string?>? environment, ProcessStartInfo info)
    {
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }
    }

    private void OnLine(string? line)
    {
        var at = TimeProvider.System.GetTimestamp();
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        lock (_tail)
        {
            _tail.Add(line);
            if (_tail.Count > 20)
            {
                _tail.RemoveAt(0);
            }
        }

        _onLine?.Invoke(line, at);
        _lines.Writer.TryWrite((line, at));
    }

    /// <summary>Kills the process (and anything it started, unless <see cref="KillByPid"/> killed it) by PID and waits for it, at most a few seconds.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (Started)
        {
            Started.Remove(this);
        }

        try
        {
            if (!_killedByPid && !_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(KillTimeout);
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or not dying within the bound: nothing more a benchmark can do.
        }
        finally
        {
            _process.Dispose();
        }
    }
}

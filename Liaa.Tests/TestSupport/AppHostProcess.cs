using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Liaa.AppHost.Orchestration;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// The real AppHost (<c>dotnet Liaa.AppHost.dll</c> from the test output) run as a child process,
/// its plain-text output read line by line: when it says the cluster is ready, and which node pids
/// it reported healthy. Disposing kills the AppHost and every node pid it reported.
/// </summary>
internal sealed partial class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentDictionary<string, int> _healthyPids = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _output;
    private readonly Task _error;

    private AppHostProcess(Process process)
    {
        _process = process;
        _output = PumpAsync(process.StandardOutput);
        _error = PumpAsync(process.StandardError);
    }

    public int Id => _process.Id;

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>The last pid each node was reported healthy with.</summary>
    public IReadOnlyDictionary<string, int> HealthyPids => _healthyPids;

    public static AppHostProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(NodeProgram.FindDotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Liaa.AppHost.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[key] = value;
        }

        return new AppHostProcess(Process.Start(startInfo)!);
    }

    /// <summary>Waits until the AppHost has printed its whole ready report; fails with its output if it exits first.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var exited = _process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(_ready.Task, exited).WaitAsync(timeout, cancellationToken);
        if (first != _ready.Task)
        {
            throw new InvalidOperationException($"The AppHost exited with code {_process.ExitCode} before it was ready:\n{string.Join('\n', _lines)}");
        }
    }

    /// <summary>Sends a signal to the AppHost alone (not its process group).</summary>
    public void Signal(int signal) => _ = NativeMethods.kill(_process.Id, signal);

    /// <summary>SIGKILL: the AppHost gets no chance to stop anything.</summary>
    public void KillHard() => _process.Kill();

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        await Task.WhenAll(_output, _error).WaitAsync(timeout, cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        ProcessTable.KillAll(_healthyPids.Values);
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            _lines.Enqueue(line);
            if (HealthyLine().Match(line) is { Success: true } healthy)
            {
                _healthyPids[healthy.Groups["name"].Value] = int.Parse(healthy.Groups["pid"].Value, CultureInfo.InvariantCulture);
            }

            // The last line of the ready report: the table, seed and Prometheus lines are in by then.
            if (line.StartsWith("Press Ctrl+C to stop", StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        }
    }

    [GeneratedRegex(@"\b(?<name>node-\d+) Healthy pid=(?<pid>\d+)")]
    private static partial Regex HealthyLine();

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int signal);
    }
}

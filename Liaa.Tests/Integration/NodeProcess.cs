using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Liaa.Tests.Integration;

/// <summary>
/// A <c>Liaa.Node</c> process started from the test's own build output (<c>dotnet Liaa.Node.dll …</c>),
/// its output captured line by line; disposing kills it (and anything it started) by PID, bounded in time.
/// </summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _all = [];

    private NodeProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Kills the process at once (SIGKILL on Unix: no shutdown code runs) and waits for it, bounded.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(cts.Token);
    }

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public static NodeProcess Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    /// <summary>Starts the node with extra environment variables (configuration such as <c>Liaa__Node__ApiToken</c>).</summary>
    public static NodeProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start([], environment, arguments);

    /// <summary>
    /// Starts the node through a <paramref name="launcher"/> that runs the command after it (e.g.
    /// <c>ip netns exec NAME</c>, which becomes the node's own process: its PID is the node's).
    /// </summary>
    public static NodeProcess Start(IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start("Liaa.Node.dll", launcher, environment, arguments);

    private static NodeProcess Start(string program, IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var info = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var word in launcher.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        if (launcher.Count > 0)
        {
            info.ArgumentList.Add(TestSupport.DotnetHost.Find());
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var node = new NodeProcess(process);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => node.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Runs a short-lived command (put/get) to completion: its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] arguments) =>
        RunAsync(timeout, new Dictionary<string, string>(), arguments);

    /// <summary>Runs a command to completion with extra environment variables: its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunAsync("Liaa.Node.dll", timeout, environment, arguments);

    /// <summary>Runs a <c>Liaa.Bench</c> command (the benchmark tools, beside the node in the test's build output) to completion.</summary>
    public static Task<(int ExitCode, string Output)> RunBenchAsync(TimeSpan timeout, params string[] arguments) =>
        RunAsync("Liaa.Bench.dll", timeout, new Dictionary<string, string>(), arguments);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        await using var command = Start(program, [], environment, arguments);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        await command._process.WaitForExitAsync(cts.Token);
        command._process.WaitForExit();
        return (command._process.ExitCode, string.Join('\n', command.Output));
    }

    /// <summary>Waits (bounded) for a line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                if (pattern.Match(line) is { Success: true } match)
                {
                    return match;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"no line matching {pattern} within {timeout}; output:\n{string.Join('\n', Output)}");
        }
    }

    /// <summary>
    /// Waits for the <c>serve</c> start line and returns the node's UDP port and HTTP URL. The bound only catches a node
    /// that never starts: a .NET process starting beside a busy machine's other work took over 30 s (load 75, 2 cores).
    /// </summary>
    public async Task<(string Id, int UdpPort, string HttpUrl)> WaitForServeAsync()
    {
        var match = await WaitForLineAsync(StartLine(), TimeSpan.FromSeconds(120));
        return (match.Groups["id"].Value, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["http"].Value);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        lock (_all)
        {
            _all.Add(line);
        }

        _lines.Writer.TryWrite(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    [GeneratedRegex(@"^Liaa node (?<id>[0-9a-f]{40}) listening on udp \S+:(?<port>\d+) http (?<http>\S+)")]
    private static partial Regex StartLine();
}

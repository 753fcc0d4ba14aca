using System.Text.RegularExpressions;
using Liaa.Node.Simulation;

namespace Liaa.Tests.Integration;

/// <summary>
/// A <c>Liaa.Node</c> process started from the test's own build output (<c>dotnet Liaa.Node.dll …</c>),
/// its output captured line by line; disposing kills it (and anything it started) by PID, bounded in time.
/// The process itself is a <see cref="ChildProcess"/> (Liaa.Simulation), the plumbing the bench uses too.
/// </summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan KillBound = TimeSpan.FromSeconds(10);

    private readonly List<string> _all = [];
    private ChildProcess _process = null!;

    private NodeProcess()
    {
    }

    public int Pid => _process.Pid;

    public bool HasExited => _process.HasExited;

    /// <summary>Kills the process at once (SIGKILL on Unix: no shutdown code runs) and waits for it, bounded.</summary>
    public Task KillAsync() => _process.KillAsync(KillBound);

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
        List<string> words = [.. launcher.Skip(1)];
        if (launcher.Count > 0)
        {
            words.Add(TestSupport.DotnetHost.Find());
        }

        words.Add(Path.Combine(AppContext.BaseDirectory, program));
        words.AddRange(arguments);
        var node = new NodeProcess();
        node._process = ChildProcess.Start(
            launcher.Count > 0 ? launcher[0] : "dotnet",
            words,
            environment.ToDictionary(e => e.Key, e => (string?)e.Value),
            (line, _) =>
            {
                lock (node._all)
                {
                    node._all.Add(line);
                }
            });
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
        var exitCode = await command._process.WaitForExitAsync(cts.Token);
        return (exitCode, string.Join('\n', command.Output));
    }

    /// <summary>Waits (bounded) for a line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout) =>
        (await _process.WaitForLineAsync(pattern, timeout, TestContext.Current.CancellationToken)).Match;

    /// <summary>
    /// Waits for the <c>serve</c> start line and returns the node's UDP port and HTTP URL. The bound only catches a node
    /// that never starts: a .NET process starting beside a busy machine's other work took over 30 s (load 75, 2 cores).
    /// </summary>
    public async Task<(string Id, int UdpPort, string HttpUrl)> WaitForServeAsync()
    {
        var match = await WaitForLineAsync(StartLine(), TimeSpan.FromSeconds(120));
        return (match.Groups["id"].Value, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["http"].Value);
    }

    /// <summary>Closes the node's standard input, as the test process ending would (the node has <c>LIAA_PARENT_PID</c>).</summary>
    public void CloseStandardInput() => _process.CloseStandardInput();

    /// <summary>Waits (bounded, for a process that never exits) for the node to exit: its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(bound);
        return await _process.WaitForExitAsync(cts.Token);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"^Liaa node (?<id>[0-9a-f]{40}) listening on udp \S+:(?<port>\d+) http (?<http>\S+)")]
    private static partial Regex StartLine();
}

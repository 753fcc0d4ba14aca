using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Liaa.Node.Hosting;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Observability;

/// <summary>
/// A <c>Liaa.Node serve</c> process started the way a user would by hand, with an OpenTelemetry
/// environment of the test's choosing (and nothing inherited about OTLP). Disposing kills it by pid,
/// bounded in time.
/// </summary>
internal sealed partial class ExportingNode : IAsyncDisposable
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly TaskCompletionSource<Match> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private ExportingNode(Process process)
    {
        _process = process;
    }

    public int ProcessId => _process.Id;

    public string Id { get; private set; } = string.Empty;

    public int UdpPort { get; private set; }

    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>Starts <c>serve</c> on free loopback ports, named <paramref name="name"/>, and waits until it is healthy.</summary>
    public static async Task<ExportingNode> StartAsync(
        string name,
        IReadOnlyDictionary<string, string> environment,
        int? seedPort,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(DotnetHost.Find())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Liaa.Node.dll"));
        string[] arguments = ["serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--name", name];
        foreach (var argument in seedPort is { } port ? [.. arguments, "--seed", $"127.0.0.1:{port}"] : arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment.Remove(ParentWatcher.ParentPidVariable);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var node = new ExportingNode(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
        node._process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        node._process.ErrorDataReceived += (_, e) => node.OnLine(e.Data);
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        try
        {
            await node.WaitStartedAsync(cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        finally
        {
            ProcessTable.KillAll([_process.Id]);
            _process.Dispose();
        }
    }

    private async Task WaitStartedAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(StartBound);
        Match started;
        try
        {
            started = await _started.Task.WaitAsync(bound.Token);
            Id = started.Groups["id"].Value;
            UdpPort = int.Parse(started.Groups["port"].Value, CultureInfo.InvariantCulture);
            HttpEndpoint = new Uri(started.Groups["http"].Value);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            while (true)
            {
                using var response = await http.GetAsync(new Uri(HttpEndpoint, "/health"), bound.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, bound.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            lock (_output)
            {
                throw new TimeoutException($"The node was not healthy within {StartBound.TotalSeconds} s:\n{string.Join('\n', _output)}");
            }
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (StartLine().Match(line) is { Success: true } match)
        {
            _started.TrySetResult(match);
        }
    }

    [GeneratedRegex(@"^Liaa node (?<id>[0-9a-f]{40}) listening on udp \S+:(?<port>\d+) http (?<http>\S+)")]
    private static partial Regex StartLine();
}

using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Liaa.AppHost.Orchestration.Prometheus;

/// <summary>
/// A Prometheus process scraping the cluster's nodes: generated configuration and discovery file in
/// the cluster's work directory, started, waited for (<c>/-/ready</c>), stopped with the cluster.
/// </summary>
/// <remarks>
/// Prometheus does not watch its parent, so on Unix it runs under a small <c>sh</c> watchdog that
/// sends it SIGTERM when the AppHost's end of its standard input closes: on a graceful stop, and
/// when the AppHost dies however it dies. The watchdog forwards SIGTERM/SIGINT too and waits for
/// Prometheus to finish. Failing to start Prometheus never fails the cluster: it is reported and the
/// cluster runs without it.
/// </remarks>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private const string Watchdog =
        """
        exec 3<&0
        "$@" </dev/null &
        child=$!
        trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
        ( while read -r _ <&3; do :; done; kill -TERM "$child" 2>/dev/null ) &
        watch=$!
        wait "$child"
        status=$?
        while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
        kill "$watch" 2>/dev/null
        exit $status
        """;

    private readonly SupervisedProcess _process;
    private readonly TimeSpan _stopTimeout;
    private readonly Task _exitLogged;
    private readonly Lock _gate = new();
    private string? _lastTargets;
    private bool _stopping;

    private PrometheusServer(SupervisedProcess process, Uri url, string targetsPath, TimeSpan stopTimeout, ILogger logger)
    {
        _process = process;
        Url = url;
        TargetsPath = targetsPath;
        _stopTimeout = stopTimeout;
        _exitLogged = LogUnexpectedExitAsync(logger);
    }

    /// <summary>The UI and API, e.g. <c>http://127.0.0.1:9090/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The <c>file_sd</c> JSON file Prometheus watches.</summary>
    public string TargetsPath { get; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Writes the configuration and an empty target list into <paramref name="directory"/>, starts
    /// Prometheus and waits until it is ready; null (with the reason logged) when it cannot be.
    /// </summary>
    public static async Task<PrometheusServer?> StartAsync(
        PrometheusOptions options,
        string directory,
        ConsoleLog log,
        TimeSpan stopTimeout,
        TimeProvider timeProvider,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var executable = PrometheusOptions.FindExecutable(options.Executable);
        if (executable is null)
        {
            OrchestrationLog.PrometheusNotStarted(logger, $"'{options.Executable}' was not found on PATH (Debian: apt-get install prometheus)");
            return null;
        }

        var listen = IPEndPoint.Parse(options.ListenAddress);
        if (!PortAllocator.IsFree(ProtocolType.Tcp, listen.Port))
        {
            OrchestrationLog.PrometheusNotStarted(logger, $"{options.ListenAddress} is in use (another Prometheus?)");
            return null;
        }

        Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, "prometheus.yml");
        var targetsPath = Path.Combine(directory, "targets.json");
        PrometheusTargets.WriteAtomically(targetsPath, PrometheusTargets.Render([]));
        await File.WriteAllTextAsync(configPath, PrometheusConfiguration.Render(targetsPath, options.ScrapeInterval), cancellationToken).ConfigureAwait(false);

        string[] arguments =
        [
            $"--config.file={configPath}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address={options.ListenAddress}",
            "--log.level=warn",
        ];
        var startInfo = CreateStartInfo(executable, arguments, directory);
        log.Append(ConsoleStream.AppHost, $"Starting: {executable} {string.Join(' ', arguments)}");
        SupervisedProcess process;
        try
        {
            process = SupervisedProcess.Start(startInfo, log, timeProvider);
        }
        catch (Exception exception) when (exception is Win32Exception or IOException)
        {
            OrchestrationLog.PrometheusNotStarted(logger, exception.Message);
            return null;
        }

        var url = new Uri($"http://{listen}/");
        var server = new PrometheusServer(process, url, targetsPath, stopTimeout, logger);
        if (await WaitUntilReadyAsync(process, url, options.StartTimeout, timeProvider, cancellationToken).ConfigureAwait(false))
        {
            OrchestrationLog.PrometheusStarted(logger, url, targetsPath);
            return server;
        }

        var tail = string.Join(" | ", log.Tail(5).Select(l => l.Text));
        await server.DisposeAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        OrchestrationLog.PrometheusNotStarted(logger, $"not ready within {options.StartTimeout.TotalSeconds:0} s: {tail}");
        return null;
    }

    /// <summary>Rewrites the discovery file when the set of running nodes changed; returns true when it wrote.</summary>
    public bool UpdateTargets(IEnumerable<NodeSnapshot> nodes)
    {
        var content = PrometheusTargets.Render(PrometheusTargets.From(nodes));
        lock (_gate)
        {
            if (content == _lastTargets)
            {
                return false;
            }

            PrometheusTargets.WriteAtomically(TargetsPath, content);
            _lastTargets = content;
            return true;
        }
    }

    /// <summary>From now on an exit is expected (the cluster is shutting down; Ctrl+C may reach Prometheus first).</summary>
    public void MarkStopping()
    {
        lock (_gate)
        {
            _stopping = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        MarkStopping();

        await _process.StopAsync(_stopTimeout).ConfigureAwait(false);
        await _exitLogged.ConfigureAwait(false);
        _process.Dispose();
    }

    private static ProcessStartInfo CreateStartInfo(string executable, IEnumerable<string> arguments, string directory)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = directory,
        };
        if (OperatingSystem.IsWindows())
        {
            startInfo.FileName = executable;
        }
        else
        {
            startInfo.FileName = "/bin/sh";
            startInfo.ArgumentList.Add("-c");
            startInfo.ArgumentList.Add(Watchdog);
            startInfo.ArgumentList.Add("liaa-prometheus-watchdog");
            startInfo.ArgumentList.Add(executable);
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    private static async Task<bool> WaitUntilReadyAsync(SupervisedProcess process, Uri url, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            while (!process.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(url, "-/ready"), linked.Token).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return true;
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !linked.IsCancellationRequested))
                {
                    // Not listening yet, or slow to answer.
                }

                await Task.WhenAny(process.Exited, Task.Delay(TimeSpan.FromMilliseconds(200), timeProvider, linked.Token)).ConfigureAwait(false);
                linked.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }

    private async Task LogUnexpectedExitAsync(ILogger logger)
    {
        var exitCode = await _process.Exited.ConfigureAwait(false);
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }
        }

        OrchestrationLog.PrometheusExited(logger, _process.Id, exitCode);
    }
}

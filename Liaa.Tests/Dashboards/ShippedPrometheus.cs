using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Orchestration.Prometheus;
using Liaa.Tests.ServiceDefaults;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// Debian's Prometheus run with the shipped <c>dashboards/prometheus/prometheus.yml</c> and alert
/// rules, on a free loopback port, scraping a live cluster through a file_sd file written by the
/// AppHost's own <see cref="PrometheusTargets"/> (the file a user links into <c>targets/</c>).
/// Only the intervals are shortened (1 s scrape and evaluation) so a test sees data in seconds.
/// Disposing kills Prometheus by its pid and deletes its files.
/// </summary>
internal sealed partial class ShippedPrometheus : IDisposable
{
    public const string Executable = "/usr/bin/prometheus";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _directory;
    private readonly ToolProcess _process;

    private ShippedPrometheus(DirectoryInfo directory, ToolProcess process, PrometheusApi api)
    {
        _directory = directory;
        _process = process;
        Api = api;
    }

    public PrometheusApi Api { get; }

    public int ProcessId => _process.Id;

    public static async Task<ShippedPrometheus> StartAsync(IEnumerable<NodeSnapshot> nodes, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("liaa-dashboards-");
        ToolProcess? process = null;
        PrometheusApi? api = null;
        try
        {
            var config = Path.Combine(directory.FullName, "prometheus.yml");
            await File.WriteAllTextAsync(config, WithShortIntervals(await File.ReadAllTextAsync(DashboardFiles.PrometheusConfig, cancellationToken)), cancellationToken);
            Directory.CreateDirectory(Path.Combine(directory.FullName, "rules"));
            File.Copy(DashboardFiles.AlertRules, Path.Combine(directory.FullName, "rules", Path.GetFileName(DashboardFiles.AlertRules)));
            Directory.CreateDirectory(Path.Combine(directory.FullName, "targets"));
            PrometheusTargets.WriteAtomically(
                Path.Combine(directory.FullName, "targets", "apphost.json"),
                PrometheusTargets.Render(PrometheusTargets.From(nodes)));

            var port = FreeTcpPort();
            process = ToolProcess.StartServer(Executable,
            [
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ]);
            api = new PrometheusApi(new Uri($"http://127.0.0.1:{port}/"));
            var ready = await api.WaitReadyAsync(() => process.HasExited, StartTimeout, cancellationToken);
            Assert.True(ready, $"Prometheus with the shipped configuration was not ready within {StartTimeout.TotalSeconds} s (exited: {process.HasExited}).");
            return new ShippedPrometheus(directory, process, api);
        }
        catch
        {
            api?.Dispose();
            process?.Dispose();
            directory.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>The shipped configuration with 1 s scrape and evaluation intervals; fails if its intervals are no longer where this expects them.</summary>
    public static string WithShortIntervals(string config)
    {
        string Replace(string text, Regex setting, string value)
        {
            Assert.True(setting.Matches(text).Count == 1, $"prometheus.yml should set '{setting}' exactly once.");
            return setting.Replace(text, m => $"{m.Groups[1].Value}{value}");
        }

        config = Replace(config, ScrapeInterval(), "1s");
        config = Replace(config, ScrapeTimeout(), "800ms");
        return Replace(config, EvaluationInterval(), "1s");
    }

    public void Dispose()
    {
        Api.Dispose();
        _process.Dispose();
        _directory.Delete(recursive: true);
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^(\s*scrape_interval:\s*)\S+$", RegexOptions.Multiline)]
    private static partial Regex ScrapeInterval();

    [GeneratedRegex(@"^(\s*scrape_timeout:\s*)\S+$", RegexOptions.Multiline)]
    private static partial Regex ScrapeTimeout();

    [GeneratedRegex(@"^(\s*evaluation_interval:\s*)\S+$", RegexOptions.Multiline)]
    private static partial Regex EvaluationInterval();
}

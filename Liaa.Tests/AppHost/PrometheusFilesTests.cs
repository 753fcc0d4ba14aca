using System.Diagnostics;
using System.Net;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Orchestration.Prometheus;

namespace Liaa.Tests.AppHost;

public sealed class PrometheusFilesTests
{
    private static NodeSnapshot Node(int index, NodeState state, int? httpPort) =>
        new($"node-{index}", index, index == 0, state, null, IPEndPoint.Parse($"127.0.0.1:{9000 + index}"),
            httpPort is { } port ? new Uri($"http://127.0.0.1:{port}") : null, null, null, null, null, 0, null);

    [Fact]
    public void Targets_ListNodesWithAProcess_InIndexOrder()
    {
        var targets = PrometheusTargets.From(
        [
            Node(2, NodeState.Healthy, 5002),
            Node(0, NodeState.Starting, 5000),
            Node(1, NodeState.Crashed, 5001),
            Node(3, NodeState.Stopped, 5003),
            Node(4, NodeState.Unhealthy, 5004),
            Node(5, NodeState.Stopping, 5005),
            Node(6, NodeState.NotStarted, null),
        ]);

        Assert.Equal(
            [new("node-0", "127.0.0.1:5000"), new("node-2", "127.0.0.1:5002"), new PrometheusTargets.Target("node-4", "127.0.0.1:5004")],
            targets);
    }

    [Fact]
    public void Render_WritesFileSdGroupsLabelledByNode()
    {
        var json = PrometheusTargets.Render([new("node-0", "127.0.0.1:5000"), new("node-1", "127.0.0.1:5001")]);

        Assert.Equal(
            """
            [
              {
                "targets": [
                  "127.0.0.1:5000"
                ],
                "labels": {
                  "node": "node-0"
                }
              },
              {
                "targets": [
                  "127.0.0.1:5001"
                ],
                "labels": {
                  "node": "node-1"
                }
              }
            ]

            """.ReplaceLineEndings("\n"),
            json);
        Assert.Equal("[]\n", PrometheusTargets.Render([]));
    }

    [Fact]
    public void WriteAtomically_ReplacesTheFile_LeavingNoTemporaryBehind()
    {
        var directory = Directory.CreateTempSubdirectory("liaa-targets-");
        try
        {
            var path = Path.Combine(directory.FullName, "targets.json");
            PrometheusTargets.WriteAtomically(path, "[]\n");
            PrometheusTargets.WriteAtomically(path, "[1]\n");

            Assert.Equal("[1]\n", File.ReadAllText(path));
            Assert.Equal([path], Directory.GetFiles(directory.FullName));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Configuration_ScrapesTheTargetsFile_AtTheGivenInterval()
    {
        var yaml = PrometheusConfiguration.Render("/tmp/o'brien/targets.json", TimeSpan.FromSeconds(5));

        Assert.Contains("  scrape_interval: 5s\n", yaml, StringComparison.Ordinal);
        Assert.Contains("  scrape_timeout: 4s\n", yaml, StringComparison.Ordinal);
        Assert.Contains("  - job_name: liaa\n", yaml, StringComparison.Ordinal);
        Assert.Contains("          - '/tmp/o''brien/targets.json'\n", yaml, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Configuration_PassesPromtoolCheck()
    {
        var promtool = PrometheusOptions.FindExecutable("promtool");
        Assert.SkipWhen(promtool is null, "promtool is not installed (apt-get install prometheus)");
        var directory = Directory.CreateTempSubdirectory("liaa-promtool-");
        try
        {
            var targets = Path.Combine(directory.FullName, "targets.json");
            var config = Path.Combine(directory.FullName, "prometheus.yml");
            PrometheusTargets.WriteAtomically(targets, PrometheusTargets.Render([new("node-0", "127.0.0.1:5000")]));
            await File.WriteAllTextAsync(config, PrometheusConfiguration.Render(targets, TimeSpan.FromSeconds(5)), TestContext.Current.CancellationToken);

            var startInfo = new ProcessStartInfo(promtool!, ["check", "config", config]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(startInfo)!;
            var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
                + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            Assert.True(process.ExitCode == 0, output);
            Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

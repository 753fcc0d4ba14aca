using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>
/// The AppHost executable as a user runs it (<c>dotnet Liaa.AppHost.dll</c>, real nodes): a child
/// process of the test, its output, its signals.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(LiveClusterCollection.Name)]
public sealed class AppHostProcessTests
{
    private const int Sigint = 2;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan GoneTimeout = TimeSpan.FromSeconds(15);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KillingTheAppHostWithSigkill_LeavesNoNodeProcess()
    {
        await using var appHost = AppHostProcess.Start(["--nodes", "3", "--no-prometheus", "--seed-port", "0", "--dashboard-port", "0"]);
        await appHost.WaitReadyAsync(ReadyTimeout, Cancellation);
        var pids = appHost.HealthyPids.Values.ToList();
        Assert.Equal(3, pids.Count);
        Assert.Equal(pids.Order(), ProcessTable.ChildrenOf(appHost.Id).Order());

        appHost.KillHard();
        var survivors = await ProcessTable.WaitUntilGoneAsync(pids, GoneTimeout, Cancellation);

        Assert.Empty(survivors);
    }

    [Fact]
    public async Task KillingTheAppHostWithSigkill_AlsoEndsPrometheus()
    {
        Assert.SkipWhen(Liaa.AppHost.Orchestration.Prometheus.PrometheusOptions.FindExecutable() is null, "prometheus is not installed");
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var appHost = AppHostProcess.Start(
            ["--nodes", "1", "--prometheus", "--seed-port", "0", "--dashboard-port", "0"],
            new Dictionary<string, string?>
            {
                [Liaa.AppHost.Orchestration.NodeProgram.NodePathVariable] = StandInNode.ScriptFile,
                ["Liaa__AppHost__Prometheus__ListenAddress"] = $"127.0.0.1:{port}",
            });
        await appHost.WaitReadyAsync(ReadyTimeout, Cancellation);
        Assert.Contains($"Prometheus: http://127.0.0.1:{port}/", appHost.Lines.Single(l => l.StartsWith("Prometheus: ", StringComparison.Ordinal)), StringComparison.Ordinal);
        var children = ProcessTable.ChildrenOf(appHost.Id);
        var everything = children.Concat(children.SelectMany(ProcessTable.ChildrenOf)).ToList();
        Assert.Contains(everything, pid => ProcessTable.CommandLine(pid).StartsWith("/usr/bin/prometheus --config.file=", StringComparison.Ordinal));

        appHost.KillHard();
        var survivors = await ProcessTable.WaitUntilGoneAsync(everything, GoneTimeout, Cancellation);

        Assert.Empty(survivors);
    }

    [Fact]
    public async Task SigintToTheAppHost_StopsEveryNodeAndExitsZero()
    {
        await using var appHost = AppHostProcess.Start(["--nodes", "2", "--no-prometheus", "--seed-port", "0", "--dashboard-port", "0"]);
        await appHost.WaitReadyAsync(ReadyTimeout, Cancellation);
        var pids = appHost.HealthyPids.Values.ToList();

        appHost.Signal(Sigint);
        var exitCode = await appHost.WaitForExitAsync(GoneTimeout, Cancellation);

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain(pids, ProcessTable.IsAlive);
        Assert.Contains("Stopped.", appHost.Lines);
        Assert.Contains(appHost.Lines, l => l.EndsWith($"node-1 Stopped pid={appHost.HealthyPids["node-1"]} exit=0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvalidCommandLine_IsRejectedWithEveryProblemNamed()
    {
        await using var appHost = AppHostProcess.Start(["--nodes", "0", "--seed-port", "70000", "--prometheus", "--no-prometheus"]);

        var exitCode = await appHost.WaitForExitAsync(TimeSpan.FromSeconds(30), Cancellation);

        Assert.Equal(2, exitCode);
        Assert.Contains("--prometheus and --no-prometheus cannot both be given.", appHost.Lines);
        Assert.Contains("Liaa:AppHost:Nodes (--nodes) must be at least 1 (was 0).", appHost.Lines);
        Assert.Contains("Liaa:AppHost:SeedPort (--seed-port) must be 0 or a port up to 65535 (was 70000).", appHost.Lines);
    }
}

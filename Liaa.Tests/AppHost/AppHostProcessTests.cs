using System.Globalization;
using System.Text.RegularExpressions;
using Liaa.Node.Hosting;
using Liaa.Node.Simulation;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>
/// The AppHost as its own process, as <c>dotnet run --project Liaa.AppHost</c> starts it: however it
/// ends, nothing it started outlives it. <c>kill -9</c> leaves DCP to notice (it watches the AppHost's
/// pid) and stop the nodes and the dashboard; Ctrl+C (SIGINT) stops them through Aspire. Both within
/// 15 s. A second AppHost on the same ports says what is taken and starts nothing.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(LiveClusterCollection.Name)]
public sealed partial class AppHostProcessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan GoneWithin = TimeSpan.FromSeconds(15);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("KILL")]
    [InlineData("INT")]
    public async Task EndingTheAppHost_LeavesNoNodeDcpOrDashboardProcess(string signal)
    {
        // A process started from a background job of a non-interactive shell inherits SIGINT ignored,
        // and so does the AppHost started from it: Ctrl+C cannot be tried from such a process tree.
        Assert.SkipWhen(signal == "INT" && IsSigIntIgnored(), "SIGINT is ignored in this process tree (started as a background job); Ctrl+C cannot be tried here");
        var udpBase = FreePorts.UdpRun(2);
        await using var appHost = Start(udpBase, lines: null);
        try
        {
            var started = await WaitForStartAsync(appHost, udpBase);
            var family = Family(appHost.Pid);
            Assert.Contains(family, pid => ProcessTable.CommandLine(pid).Contains("Aspire.Dashboard", StringComparison.Ordinal));
            Assert.Contains(family, pid => ProcessTable.CommandLine(pid).Contains("/dcp ", StringComparison.Ordinal));
            Assert.Equal(2, family.Count(pid => ProcessTable.CommandLine(pid).Contains("Liaa.Node serve", StringComparison.Ordinal)));
            Assert.True(started, "the AppHost did not report its start");

            await ChildProcess.RunAsync("kill", ["-" + signal, appHost.Pid.ToString(CultureInfo.InvariantCulture)], string.Empty, Bound, Cancellation);

            var left = await ProcessTable.WaitUntilGoneAsync(family.Append(appHost.Pid), GoneWithin, Cancellation);
            Assert.True(left.Count == 0, $"still running {GoneWithin.TotalSeconds} s after kill -{signal}: {string.Join("; ", left.Select(p => $"{p} {ProcessTable.CommandLine(p)}"))}");
        }
        finally
        {
            ProcessTable.KillAll([.. Family(appHost.Pid), appHost.Pid]);
        }
    }

    [Fact]
    public async Task ASecondAppHost_OnTheSamePorts_SaysWhatIsTaken_AndStartsNothing()
    {
        var udpBase = FreePorts.UdpRun(2);
        using var holder = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, udpBase + 1));
        var lines = new List<string>();
        await using var second = Start(udpBase, lines);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        bound.CancelAfter(Bound);
        var exitCode = await second.WaitForExitAsync(bound.Token);
        string output;
        lock (lines)
        {
            output = string.Join('\n', lines);
        }

        Assert.Equal(1, exitCode);
        Assert.Contains($"UDP {udpBase + 1} (node-1) is taken by pid {Environment.ProcessId}", output, StringComparison.Ordinal);
        Assert.DoesNotContain($"UDP {udpBase} ", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The built AppHost with two nodes on <paramref name="udpBase"/>, the dashboard on free loopback ports, no Prometheus;
    /// every line it writes goes to <paramref name="lines"/> when given.
    /// </summary>
    private static ChildProcess Start(int udpBase, List<string>? lines)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var executable = Path.Combine(Chromium.RepositoryRoot(), "Liaa.AppHost", "bin", configuration, "net10.0", "Liaa.AppHost");
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePorts.Tcp()}",
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePorts.Tcp()}",
            ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePorts.Tcp()}",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            ["DOTNET_ENVIRONMENT"] = "Development",

            // Not for the AppHost: DCP would hand it on to the nodes, whose standard input is not this test's pipe.
            [ParentWatcher.ParentPidVariable] = null,
        };
        return ChildProcess.Start(
            executable,
            ["--nodes", "2", "--port", udpBase.ToString(CultureInfo.InvariantCulture), "--prometheus", "false"],
            environment,
            onLine: lines is null ? null : (line, _) =>
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            },
            workingDirectory: Path.GetDirectoryName(executable)!);
    }

    /// <summary>Waits until the AppHost says it started and both nodes run; false when the bound passed first.</summary>
    private static async Task<bool> WaitForStartAsync(ChildProcess appHost, int udpBase)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        bound.CancelAfter(Bound);
        try
        {
            await appHost.WaitForLineAsync(StartedLine(), Bound, Cancellation);
            while (Family(appHost.Pid).Count(pid => ProcessTable.CommandLine(pid).Contains($"--port {udpBase}", StringComparison.Ordinal)
                || ProcessTable.CommandLine(pid).Contains($"--port {udpBase + 1}", StringComparison.Ordinal)) < 2)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, bound.Token);
            }

            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !Cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Every process the AppHost started, directly or through DCP: its children, the DCP processes that
    /// watch it (<c>--monitor {pid}</c>, which are re-parented away from it), and all their descendants.
    /// </summary>
    private static List<int> Family(int appHostPid)
    {
        var roots = new List<int>(ProcessTable.ChildrenOf(appHostPid));
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ProcessTable.CommandLine(pid).Contains($"--monitor {appHostPid.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
                && ProcessTable.IsAlive(pid))
            {
                roots.Add(pid);
            }
        }

        var family = new List<int>();
        var pending = new Queue<int>(roots.Distinct());
        while (pending.TryDequeue(out var pid))
        {
            if (!family.Contains(pid))
            {
                family.Add(pid);
                foreach (var child in ProcessTable.ChildrenOf(pid))
                {
                    pending.Enqueue(child);
                }
            }
        }

        return family;
    }

    /// <summary>Whether this process ignores SIGINT (bit 1 of <c>SigIgn</c> in <c>/proc/self/status</c>), which children inherit.</summary>
    private static bool IsSigIntIgnored()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0x2) != 0;
    }

    [GeneratedRegex("Distributed application started")]
    private static partial Regex StartedLine();
}

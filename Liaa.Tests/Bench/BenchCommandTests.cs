using Liaa.Node.Bench;
using Liaa.Node.Hosting;
using Liaa.Tests.Integration;

namespace Liaa.Tests.Bench;

/// <summary>
/// Smoke tests of <c>bench</c>: each benchmark runs small and prints its tables. Speed is never
/// asserted (issue 9: figures are printed by benchmarks, not checked by tests); only that the
/// benchmark did its work and reported it.
/// </summary>
public sealed class BenchCommandTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Rpc_PrintsFiguresForEveryRow_WithTracing()
    {
        var writer = new StringWriter();
        // Each figure counts the round trips done within Duration: 100 ms once saw none on a machine at load 80.
        var options = new RpcBenchmarkOptions { Duration = TimeSpan.FromSeconds(1), Runs = 1, InFlight = 4, Tracing = true };

        var figures = await new RpcBenchmark(options, BenchOutput.Plain(writer)).RunAsync(Token);

        Assert.Equal(new[] { ("PING", 1), ("PING", 4), ("FIND_NODE", 1), ("FIND_NODE", 4) }, figures.Select(f => (f.Method, f.InFlight)));
        Assert.All(figures, f =>
        {
            Assert.True(f.RawPerSecond > 0, $"{f.Method} x{f.InFlight}: no raw round trip");
            Assert.True(f.Blocking.Median > 0, $"{f.Method} x{f.InFlight}: no blocking raw round trip");
            Assert.True(f.LiaaPerSecond > 0, $"{f.Method} x{f.InFlight}: no Liaa round trip");
            Assert.True(f.TracedPerSecond > 0, $"{f.Method} x{f.InFlight}: no traced round trip");
        });
        Assert.True(figures.Single(f => f.Method == "FIND_NODE" && f.InFlight == 1).ResponseBytes > 600, "a FIND_NODE answer carries k contacts");
        var output = writer.ToString();
        Assert.Contains("raw UDP rt/s", output, StringComparison.Ordinal);
        Assert.Contains("tracing overhead", output, StringComparison.Ordinal);
        Assert.Contains("alternating", output, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            // Both one-at-a-time rows, every Liaa window (four untraced and four traced in the one run) placed.
            Assert.Contains("PING x1 in ", output, StringComparison.Ordinal);
            Assert.All(figures.Where(f => f.InFlight == 1), f => Assert.Equal((4, 4), (f.UntracedPlacement!.Windows, f.TracedPlacement!.Windows)));
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task RpcProfile_RunsOnlyTheTracedRoundTrips_AndPrintsEachWindow()
    {
        var writer = new StringWriter();
        var options = new RpcBenchmarkOptions
        {
            Duration = TimeSpan.FromSeconds(1),
            Runs = 2,
            InFlight = 4,
            Methods = ["PING"],
            ConcurrentOnly = true,
            Profile = "traced",
            Allocations = true,
        };

        var figures = await new RpcBenchmark(options, BenchOutput.Plain(writer)).RunAsync(Token);

        Assert.Empty(figures);
        var output = writer.ToString();
        Assert.Equal(2, output.Split('\n').Count(line => line.StartsWith("PING x4 traced: ", StringComparison.Ordinal)));
        Assert.DoesNotContain("raw UDP rt/s", output, StringComparison.Ordinal);
        Assert.Contains("allocations (sampled): ", output, StringComparison.Ordinal);
        var spans = output.Split('\n').Single(line => line.StartsWith("spans recorded: ", StringComparison.Ordinal));
        Assert.True(long.Parse(spans["spans recorded: ".Length..spans.IndexOf(';', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) > 0, spans);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Memory_HoldsEveryValueStored()
    {
        var writer = new StringWriter();

        var run = await new MemoryBenchmark(new MemoryBenchmarkOptions { Values = 2000, ValueBytes = 100 }, BenchOutput.Plain(writer)).RunAsync(Token);

        Assert.Equal(2000, run.Keys);
        Assert.Equal(0, run.Refused);
        Assert.Contains("One node's memory", writer.ToString(), StringComparison.Ordinal);
        Assert.Contains("at start: ", writer.ToString(), StringComparison.Ordinal);
        Assert.Contains("; at end: ", writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_StopsBeforeMeasuring_WhenOpenDhtCannotRun()
    {
        var writer = new StringWriter();
        var options = new ClusterBenchmarkOptions { Nodes = 3, Operations = 4, Warmup = 2, OpenDhtInterpreters = ["/nonexistent/python3"] };

        var error = await Assert.ThrowsAsync<CommandLineException>(() => new ClusterBenchmark(options, BenchOutput.Plain(writer)).RunAsync(Token));

        Assert.StartsWith("OpenDHT cannot run (", error.Message, StringComparison.Ordinal);
        Assert.Contains("--only liaa", error.Message, StringComparison.Ordinal);
        var output = writer.ToString();
        Assert.Contains("OpenDHT: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("starting 3 node processes", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(200_000, 0.05, 100_000, null)]
    [InlineData(200_000, 0.40, 100_000, "its runs spread ±40 %")]
    [InlineData(100_000, 0.05, 150_000, "Liaa did 1.50 times its round trips")]
    public void RpcGoal_SaysWhenTheCeilingDidNotHold(double ceiling, double ceilingSpread, double liaa, string? expected)
    {
        var figure = new RpcFigure("PING", 32, 54, 47, new RunFigures(ceiling, ceilingSpread, [ceiling]), new RunFigures(ceiling, 0, [ceiling]), new RunFigures(liaa, 0, [liaa]), new RunFigures(double.NaN, double.NaN, []))
        {
            Ratio = liaa / ceiling,
        };

        Assert.Equal(expected, RpcBenchmark.UnsteadyCeiling(figure));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task Cluster_FindsEveryValue_OnThreeLiaaProcesses()
    {
        var writer = new StringWriter();
        var options = new ClusterBenchmarkOptions
        {
            Nodes = 3,
            Operations = 4,
            Warmup = 2,
            IncludeOpenDht = false,
            PeersTimeout = TimeSpan.FromSeconds(1),
            StartRuns = 2,
        };

        var results = await new ClusterBenchmark(options, BenchOutput.Plain(writer)).RunAsync(Token);

        var liaa = Assert.Single(results);
        Assert.Equal("Liaa", liaa.System);
        Assert.Equal(4, liaa.Puts.Count);
        Assert.Equal(0, liaa.PutsFailed);
        Assert.Equal(4, liaa.GetsFound);
        Assert.Equal(16, liaa.BulkGetsFound);

        // Three nodes can never know 8 peers: the figure says so instead of waiting for it.
        Assert.All(liaa.TimesToKnowPeers, Assert.Null);
        Assert.Null(liaa.ReadyTime);
        Assert.Null(liaa.StartCpuPerNode);
        Assert.Contains("OpenDHT: skipped", writer.ToString(), StringComparison.Ordinal);

        // Two fresh clusters, each with its worst node (never, here) and what its slowest nodes went through.
        var output = writer.ToString();
        Assert.Contains("Fresh clusters of 3 Liaa nodes", output, StringComparison.Ordinal);
        Assert.Contains("goal: every node of a fresh cluster knows 8 live peers within 1 s, every run: NOT met", output, StringComparison.Ordinal);
        Assert.Equal(4, output.Split('\n').Count(line => line.StartsWith("  cluster ", StringComparison.Ordinal) && line.Contains("routing table sizes seen: ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("      Joined through 1 of 1 seeds; routing table holds 12 contacts", 12)]
    [InlineData("      Join: own id looked up; routing table holds 9 contacts", 9)]
    [InlineData("      Added contact 0199138d6ed33801e4d75f1a71eca02d2a0d50c6 at 127.0.0.1:38871; routing table holds 8 contacts", 8)]
    public void TheNodesOwnLines_GiveTheRoutingTablesSize(string line, int contacts)
    {
        // The node's log templates (Telemetry/Log.cs), as the console logger prints them: bench cluster reads these.
        var match = ProcessCluster.LiaaContactsLine().Match(line);

        Assert.True(match.Success);
        Assert.Equal(contacts, int.Parse(match.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AMemberWhoseLinesShowItsRoutingTable_IsNotPolled_OneWhoseLinesShowNothingIs()
    {
        var silent = new PeersReached();
        var printing = new PeersReached();
        printing.MarkSeen(1, 1);

        Assert.True(ProcessCluster.NeedsPolling(silent));
        Assert.False(ProcessCluster.NeedsPolling(printing));
    }

    [Fact]
    public void TheNodesLogTemplates_AreTheLinesTheBenchReads()
    {
        var id = Liaa.Node.Kademlia.NodeId.FromKey("bench");
        var logger = new LinesLogger();

        Liaa.Node.Telemetry.Log.Joined(logger, 1, 1, 12);
        Liaa.Node.Telemetry.Log.JoinStep(logger, "introduced", 10);
        Liaa.Node.Telemetry.Log.ContactAdded(logger, id, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 4000), 8);

        Assert.Equal([12, 10, 8], logger.Lines.Select(line => int.Parse(ProcessCluster.LiaaContactsLine().Match(line).Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    private sealed class LinesLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task BenchSim_PrintsPlainTables_WhenOutputIsRedirected()
    {
        // A bound for a process that took 41 s at load 40 (it ends on its own; the bound only catches a hang).
        var (exitCode, output) = await NodeProcess.RunBenchAsync(TimeSpan.FromSeconds(240), "sim", "--nodes", "50", "--churn", "0", "--lookups", "5", "--keys", "5", "--allocations");

        Assert.Equal(NodeCommandLine.Success, exitCode);
        Assert.Contains("50 nodes: build and memory", output, StringComparison.Ordinal);
        Assert.Contains("0 %", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);

        // --allocations: every exception counted is named (the end of each throw was counted too, unnamed: "; ×200").
        const string Exceptions = "exceptions thrown, by type and message: ";
        var entries = output.Split('\n').Where(line => line.StartsWith(Exceptions, StringComparison.Ordinal)).SelectMany(line => line[Exceptions.Length..].TrimEnd().Split("; ")).ToArray();
        Assert.NotEmpty(entries);
        Assert.All(entries, entry => Assert.Matches(@"^(none|\S.* ×[\d,]+)$", entry));
    }

    [Fact]
    public void PeersReached_KeepsTheFirstMoment_AndTheCpuTimeReadThen()
    {
        var cpu = TimeSpan.FromMilliseconds(640);
        var peers = new PeersReached { CpuSource = () => cpu };

        peers.Mark(1234);
        cpu = TimeSpan.FromSeconds(5);
        peers.Mark(5678);

        Assert.Equal(1234, peers.At);
        Assert.Equal(TimeSpan.FromMilliseconds(640), peers.Cpu);
    }

    [Fact]
    public void LastCpu_IsField39_AfterANameHoldingSpacesAndParentheses()
    {
        // Fields 3 to 52 after the name, the CPU (field 39) 7, the others 0 but the state.
        var stat = $"4242 (Liaa (RPC) rec) S {string.Join(' ', Enumerable.Range(4, 49).Select(field => field == 39 ? "7" : "0"))}\n";

        Assert.Equal(7, MachineInfo.LastCpu(stat));
        Assert.Null(MachineInfo.LastCpu("4242 (Liaa RPC receiv) S 1 2 3"));
        Assert.Null(MachineInfo.LastCpu("garbled"));
    }

    [Fact]
    public void RpcPlacement_NamesTheOneAtATimeRows_WithTheirWindowsOnOneCpu()
    {
        static ReceiveThreadPlacement Placed(params bool[] sameCpu)
        {
            var placement = new ReceiveThreadPlacement();
            foreach (var same in sameCpu)
            {
                placement.Add(same);
            }

            return placement;
        }

        var none = new RunFigures(double.NaN, double.NaN, []);
        RpcFigure Row(string method, int inFlight, ReceiveThreadPlacement? untraced, ReceiveThreadPlacement? traced) =>
            new(method, inFlight, 54, 47, none, none, none, none) { UntracedPlacement = untraced, TracedPlacement = traced };

        var text = RpcBenchmark.Placement(
        [
            Row("PING", 1, Placed(true, true, false, true), Placed(false, false, false, false)),
            Row("PING", 32, new ReceiveThreadPlacement(), new ReceiveThreadPlacement()),
            Row("FIND_NODE", 1, Placed(true, true), null),
        ]);

        Assert.NotNull(text);
        Assert.Contains("PING x1 in 3 of 4 untraced and 0 of 4 traced windows; FIND_NODE x1 in 2 of 2 untraced windows.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("x32", text, StringComparison.Ordinal);
        Assert.Null(RpcBenchmark.Placement([Row("PING", 32, new ReceiveThreadPlacement(), null)]));
    }

    [Theory]
    [InlineData("rpc")]
    [InlineData("cluster")]
    [InlineData("sim")]
    [InlineData("memory")]
    public void EveryVerb_TakesHelp(string verb)
    {
        var parse = BenchProgram.CreateRoot().Parse([verb, "--help"]);

        Assert.Empty(parse.Errors);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(500)]
    public void SimClosest_IsTheSortedPrefix_WithoutTheExcludedId(int k)
    {
        var random = new Random(7);
        var ids = Enumerable.Range(0, 300).Select(_ => Liaa.Node.Kademlia.NodeId.Random(random)).ToArray();
        var target = Liaa.Node.Kademlia.NodeId.Random(random);

        var closest = SimulationBenchmark.Closest(ids, target, k, excluded: ids[5]);

        Assert.Equal(ids.Where(id => id != ids[5]).OrderBy(id => id ^ target).Take(k), closest);
    }

    [Theory]
    [InlineData("1000,10000", new[] { 1000, 10000 })]
    [InlineData(" 0, 10 ,30", new[] { 0, 10, 30 })]
    [InlineData("10_000", new[] { 10000 })]
    public void ParseList_ReadsCommaSeparatedCounts(string text, int[] expected)
    {
        Assert.Equal(expected, BenchCommand.ParseList(text, "--nodes", minimum: 0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ten")]
    [InlineData("5,-1")]
    [InlineData("1")]
    public void ParseList_Refuses_WhenAValueIsMissingOrOutOfRange(string text)
    {
        var error = Assert.Throws<CommandLineException>(() => BenchCommand.ParseList(text, "--nodes", minimum: 2));
        Assert.StartsWith("--nodes", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// <c>bench sim</c> with churn, in a process of its own: its simulator moves the clock when the thread pool is idle
/// (it owns the pool, as the <c>Liaa.Bench</c> process does), which beside other tests it never is.
/// </summary>
public sealed class BenchSimProcessTests
{
    [Fact]
    [Trait("Category", "Simulation")]
    public async Task Sim_PrintsTables_For200Nodes_WithAndWithoutChurn_AtInternetLatency()
    {
        var (exitCode, output) = await NodeProcess.RunBenchAsync(
            TimeSpan.FromSeconds(240), "sim", "--nodes", "200", "--churn", "0,10", "--lookups", "20", "--keys", "10", "--runs", "1", "--seed", "3");

        Assert.Equal(NodeCommandLine.Success, exitCode);
        Assert.Contains("200 nodes: build and memory", output, StringComparison.Ordinal);
        Assert.Contains("200 nodes: lookups by share of nodes gone", output, StringComparison.Ordinal);
        Assert.Contains("FIND_NODE rounds", output, StringComparison.Ordinal);
        Assert.Contains("10 %", output, StringComparison.Ordinal);

        // The clock moved only when the pool was idle: no lookup spun on a wake-up less than a millisecond away
        // (before the fix, this run took 135 forced steps, a quarter of a second of wall time each).
        Assert.Contains("clock steps forced past a busy thread: 0", output, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Simulation")]
    public async Task Sim_MeasuresEachRunsHeapFromACleanBaseline_WhenItRunsSeveralNetworks()
    {
        // Each run's "GC heap" is its network's heap after the build less the heap before it. The second run's
        // baseline used to be taken while the first network was still reachable (from the stack of its disposal), so
        // it came out at about zero or below (−13 MB at 2,000 nodes).
        var (exitCode, output) = await NodeProcess.RunBenchAsync(
            TimeSpan.FromSeconds(240), "sim", "--nodes", "300", "--churn", "0", "--lookups", "5", "--keys", "5", "--runs", "2");

        Assert.Equal(NodeCommandLine.Success, exitCode);
        var heaps = output.Split('\n')
            .Where(line => line.StartsWith("300  ", StringComparison.Ordinal))
            .Select(line => line.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[4])
            .Select(cell => double.Parse(cell.Replace(" MB", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(2, heaps.Length);
        Assert.True(heaps[0] > 0, output);
        Assert.True(heaps[1] > heaps[0] / 2, $"run 2's heap {heaps[1]} MB against run 1's {heaps[0]} MB:\n{output}");
    }
}

using System.CommandLine;
using System.Globalization;
using Liaa.Node.Hosting;

namespace Liaa.Node.Bench;

/// <summary>
/// <c>bench</c>: Liaa's performance figures, printed with a progress display and summary tables
/// (plain text when redirected). <c>rpc</c> (round trips against raw UDP, tracing overhead),
/// <c>cluster</c> (a loopback cluster of node processes, beside OpenDHT when installed), <c>sim</c>
/// (the node code on an in-memory network of thousands of nodes) and <c>memory</c> (one node
/// holding a million values). BENCHMARKS.md has the commands and the figures.
/// </summary>
internal static class BenchCommand
{
    public const string Description = "Measure Liaa: RPC round trips, live clusters, large simulations, memory.";

    /// <summary>
    /// The verbs, to add to the program's root command. Made for it, not moved from another command: a verb keeps the
    /// parent it was first added to, and the root's help option reaches only the verbs whose parent it is
    /// (<c>rpc --help</c> was refused as an unknown argument, exit 1).
    /// </summary>
    public static IReadOnlyList<Command> CreateVerbs() =>
    [
        CreateRpcCommand(),
        CreateClusterCommand(),
        CreateSimCommand(),
        CreateMemoryCommand(),
    ];

    private static Command CreateRpcCommand()
    {
        var duration = new Option<double>("--duration") { Description = "Seconds measured per figure in each run.", DefaultValueFactory = _ => 1 };
        var tracing = new Option<bool>("--tracing") { Description = "Also measure with every RPC traced (an ActivityListener sampling all of Liaa.Node) and print the overhead." };
        var inFlight = new Option<int>("--in-flight") { Description = "Calls in flight for the concurrent figures.", DefaultValueFactory = _ => 32 };
        var runs = new Option<int>("--runs") { Description = "Runs over every row; each figure is the median of the runs, with their spread.", DefaultValueFactory = _ => 3 };
        var method = new Option<string[]>("--rpc") { Description = "Measure only these RPCs (PING, FIND_NODE); for profiling one row.", AllowMultipleArgumentsPerToken = true };
        var concurrentOnly = new Option<bool>("--concurrent-only") { Description = "Skip the one-at-a-time rows; for profiling." };
        var profile = new Option<string?>("--profile")
        {
            Description = "For a profiler: after the warm-up, run only Liaa's round trips, traced or untraced, in --runs windows of --duration (no ceiling), printing CPU, bytes and GCs per round trip of each window.",
        };
        profile.AcceptOnlyFromAmong("traced", "untraced");
        var allocations = new Option<bool>("--allocations") { Description = "With --profile: sample the allocations by type and print the largest shares." };
        var command = new Command("rpc", "PING and FIND_NODE round trips per second between two Liaa endpoints on 127.0.0.1, against this machine's UDP ping-pong ceiling.")
        {
            duration, tracing, inFlight, runs, method, concurrentOnly, profile, allocations,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(async output =>
        {
            var options = new RpcBenchmarkOptions
            {
                Duration = Seconds(parse.GetValue(duration), "--duration"),
                Tracing = parse.GetValue(tracing),
                InFlight = Positive(parse.GetValue(inFlight), "--in-flight"),
                Runs = Positive(parse.GetValue(runs), "--runs"),
                Methods = parse.GetValue(method) is { Length: > 0 } names ? names : null,
                ConcurrentOnly = parse.GetValue(concurrentOnly),
                Profile = parse.GetValue(profile),
                Allocations = parse.GetValue(allocations),
            };
            await new RpcBenchmark(options, output).RunAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private static Command CreateClusterCommand()
    {
        var nodes = new Option<int>("--nodes") { Description = "Node processes in the cluster.", DefaultValueFactory = _ => 20 };
        var ops = new Option<int>("--ops") { Description = "Puts (then gets) measured one at a time; the throughput phase runs as many again.", DefaultValueFactory = _ => 300 };
        var inFlight = new Option<int>("--in-flight") { Description = "Operations in flight for the throughput figure.", DefaultValueFactory = _ => 32 };
        var warmup = new Option<int>("--warmup") { Description = "Liaa: puts and gets run (8 in flight) before anything is measured, so every node's JIT has settled.", DefaultValueFactory = _ => 2000 };
        var openDhtWarmup = new Option<int>("--opendht-warmup") { Description = "OpenDHT: the same, fewer (it only slows OpenDHT down: its runners keep announcing every value put).", DefaultValueFactory = _ => 200 };
        var only = new Option<string?>("--only") { Description = "Run one system only: liaa or opendht." };
        only.AcceptOnlyFromAmong("liaa", "opendht");
        var nodeEnvironment = new Option<string[]>("--node-env")
        {
            Description = "An environment variable for every Liaa node process, as NAME=VALUE (repeatable), e.g. Liaa__Kademlia__Alpha=5.",
            AllowMultipleArgumentsPerToken = false,
        };
        var k = new Option<int?>("--k") { Description = "Bucket size and replication factor of Liaa's nodes and clients (default 20; OpenDHT stores at 8)." };
        var runs = new Option<int>("--runs") { Description = "Measured runs per system (on one cluster each); every figure is the median run with the min–max spread.", DefaultValueFactory = _ => 3 };
        var startRuns = new Option<int>("--start-runs") { Description = "Fresh Liaa clusters started to measure how soon every node knows 8 live peers (each run's worst node, their median and spread); the workload runs on the last.", DefaultValueFactory = _ => 3 };
        var putAcks = new Option<int?>("--put-acks") { Description = "Liaa's bench putter returns once this many holders stored the value (Liaa:Storage:PutAcknowledgements; 0: all k; default: the node's, 8)." };
        var putLookup = PutLookupOption();
        var putReuse = new Option<int?>("--put-reuse") { Description = "Put lookups Liaa's bench putter remembers, so a put of a key one of them covers needs no lookup (Liaa:Storage:PutLookupReuse; 0: a lookup per put; default: the node's)." };
        var profile = new Option<bool>("--profile") { Description = "Trace Liaa's puts measured one at a time and print where their time went (lookup, STOREs); tracing slows them." };
        var nodeExecutable = new Option<string?>("--node-exe")
        {
            Description = "Run Liaa's nodes from this executable instead of this build's Liaa.Node.dll, e.g. one published by hand (a self-contained composite ReadyToRun build, BENCHMARKS.md).",
        };
        var nodeBuild = new Option<string>("--node-build")
        {
            Description = "Which build of Liaa.Node the nodes run: jit (this build's Liaa.Node.dll, ReadyToRun), aot (Liaa.Node compiled ahead of time into artifacts/aot/, published first when its sources changed; needs clang) or composite (Liaa.Node and the runtime precompiled together, self-contained, into artifacts/composite/, published the same way; needs only the .NET SDK).",
            DefaultValueFactory = _ => "jit",
        };
        nodeBuild.AcceptOnlyFromAmong("jit", "aot", "composite");
        var command = new Command("cluster", "Put/get latency and throughput over a loopback cluster of node processes, beside OpenDHT (python3-opendht; without it the command stops at once unless --only liaa).")
        {
            nodes, ops, inFlight, warmup, openDhtWarmup, only, nodeEnvironment, k, runs, startRuns, putAcks, putLookup, putReuse, profile, nodeExecutable, nodeBuild,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(async output =>
        {
            var options = new ClusterBenchmarkOptions
            {
                Nodes = Positive(parse.GetValue(nodes), "--nodes"),
                Operations = Positive(parse.GetValue(ops), "--ops"),
                InFlight = Positive(parse.GetValue(inFlight), "--in-flight"),
                Warmup = Math.Max(0, parse.GetValue(warmup)),
                OpenDhtWarmup = Math.Max(0, parse.GetValue(openDhtWarmup)),
                IncludeLiaa = parse.GetValue(only) is null or "liaa",
                IncludeOpenDht = parse.GetValue(only) is null or "opendht",
                NodeEnvironment = ParseEnvironment(parse.GetValue(nodeEnvironment) ?? []),
                K = parse.GetValue(k) is { } size ? Positive(size, "--k") : null,
                Profile = parse.GetValue(profile),
                Runs = Positive(parse.GetValue(runs), "--runs"),
                StartRuns = Positive(parse.GetValue(startRuns), "--start-runs"),
                PutAcknowledgements = parse.GetValue(putAcks) is { } acks ? Math.Max(0, acks) : null,
                PutStoresAtConvergence = PutLookup(parse.GetValue(putLookup)),
                PutLookupReuse = parse.GetValue(putReuse) is { } reuse ? Math.Max(0, reuse) : null,
                NodeExecutable = await NodeExecutableAsync(parse.GetValue(nodeExecutable), parse.GetValue(nodeBuild), parse.GetValue(only) is not "opendht", cancellationToken).ConfigureAwait(false),
            };
            await new ClusterBenchmark(options, output).RunAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private static Command CreateSimCommand()
    {
        var nodes = new Option<string>("--nodes") { Description = "Network size, or sizes separated by commas for a scaling table (e.g. 1000,10000).", DefaultValueFactory = _ => "10000" };
        var churn = new Option<string>("--churn") { Description = "Percent of nodes gone, cumulative levels separated by commas.", DefaultValueFactory = _ => "0,10,30" };
        var lookups = new Option<int>("--lookups") { Description = "FIND_NODE lookups per churn level.", DefaultValueFactory = _ => 200 };
        var keys = new Option<int>("--keys") { Description = "Values put, then read back at each churn level.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice (run i uses seed + i).", DefaultValueFactory = _ => 1 };
        var runs = new Option<int?>("--runs") { Description = $"Runs per size, each a new network; reports the median and spread. Default 3, or 1 from {SimulationBenchmarkOptions.LargeNetwork:N0} nodes." };
        var rtt = new Option<double>("--rtt-median") { Description = "Median round-trip time in ms of the log-normal latency per pair of nodes (0: no delay).", DefaultValueFactory = _ => 80 };
        var sigma = new Option<double>("--rtt-sigma") { Description = "Sigma of ln(RTT) of the latency model.", DefaultValueFactory = _ => 0.6 };
        var joinInterval = new Option<double>("--join-interval") { Description = "Virtual ms between two batches of joins (--join-concurrency) while the network is built.", DefaultValueFactory = _ => 100 };
        var simPutAcks = new Option<int?>("--put-acks") { Description = "A put returns once this many holders stored the value (Liaa:Storage:PutAcknowledgements; 0: all k; default: the node's)." };
        var simPutLookup = PutLookupOption();
        var nodeCache = new Option<int>("--node-cache") { Description = "Entries in each simulated node's per-peer and per-call caches (a real node keeps thousands).", DefaultValueFactory = _ => 64 };
        var pingAfter = new Option<double>("--full-bucket-ping-after") { Description = "Seconds a full bucket's oldest contact counts as alive without a ping (Liaa:Kademlia:FullBucketPingAfter; 0: always ping, the node's default; BEP 5 uses 900).", DefaultValueFactory = _ => 900 };
        var refresh = new Option<string>("--refresh")
        {
            Description = "How a bucket refresh lookup ends (on join, every bucket beyond the closest neighbour): converge (at convergence, Liaa:Kademlia:RefreshEndsAtConvergence) or full (every one of the k closest answers, the node's default).",
            DefaultValueFactory = _ => "converge",
        };
        refresh.AcceptOnlyFromAmong("full", "converge");
        var allocations = new Option<bool>("--allocations") { Description = "Sample the process's allocations by type and print the largest shares after each run." };
        var joinConcurrency = new Option<int>("--join-concurrency") { Description = "Nodes joining at once (one batch) while the network is built.", DefaultValueFactory = _ => 32 };
        var threads = new Option<int>("--threads") { Description = "Thread-pool threads the simulated nodes run on (0: as many as cores).", DefaultValueFactory = _ => 0 };
        var command = new Command("sim", "Lookup rounds, RPCs, latency, quality and churn resistance on a simulated network of the real node code.")
        {
            nodes, churn, lookups, keys, seed, runs, rtt, sigma, joinInterval, nodeCache, simPutAcks, simPutLookup, threads, pingAfter, refresh, joinConcurrency, allocations,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(async output =>
        {
            var options = new SimulationBenchmarkOptions
            {
                NodeCounts = ParseList(parse.GetValue(nodes)!, "--nodes", minimum: 2),
                ChurnPercents = ParseList(parse.GetValue(churn)!, "--churn", minimum: 0, maximum: 90),
                Lookups = Positive(parse.GetValue(lookups), "--lookups"),
                Keys = Positive(parse.GetValue(keys), "--keys"),
                Seed = parse.GetValue(seed),
                Runs = parse.GetValue(runs) is { } count ? Positive(count, "--runs") : null,
                MedianRoundTrip = parse.GetValue(rtt) is var median and >= 0 and < 10_000
                    ? TimeSpan.FromMilliseconds(median)
                    : throw new CommandLineException("--rtt-median must be from 0 to 10000 ms"),
                JoinInterval = parse.GetValue(joinInterval) is var interval and >= 0 and <= 60_000
                    ? TimeSpan.FromMilliseconds(interval)
                    : throw new CommandLineException("--join-interval must be from 0 to 60000 ms"),
                RoundTripSigma = parse.GetValue(sigma) is var shape and >= 0 and <= 3
                    ? shape
                    : throw new CommandLineException("--rtt-sigma must be from 0 to 3"),
                NodeCache = parse.GetValue(nodeCache) is var cache and >= 0 and <= 100_000
                    ? cache
                    : throw new CommandLineException("--node-cache must be from 0 to 100000"),
                PutAcknowledgements = parse.GetValue(simPutAcks) is { } acks ? Math.Max(0, acks) : null,
                PutStoresAtConvergence = PutLookup(parse.GetValue(simPutLookup)),
                FullBucketPingAfter = parse.GetValue(pingAfter) is var after and >= 0 and <= 86_400
                    ? TimeSpan.FromSeconds(after)
                    : throw new CommandLineException("--full-bucket-ping-after must be from 0 to 86400 s"),
                RefreshEndsAtConvergence = parse.GetValue(refresh) is not "full",
                Allocations = parse.GetValue(allocations),
                JoinConcurrency = parse.GetValue(joinConcurrency) is var joining and >= 1 and <= 100_000
                    ? joining
                    : throw new CommandLineException("--join-concurrency must be from 1 to 100000"),
                Threads = parse.GetValue(threads) is var pool and >= 0 and <= 1024
                    ? pool
                    : throw new CommandLineException("--threads must be from 0 to 1024"),
            };
            await new SimulationBenchmark(options, output).RunAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private static Command CreateMemoryCommand()
    {
        var values = new Option<int>("--values") { Description = "Values stored in the node.", DefaultValueFactory = _ => 1_000_000 };
        var size = new Option<int>("--size") { Description = "Bytes per value.", DefaultValueFactory = _ => 100 };
        var command = new Command("memory", "Memory of one node holding many values, stored through its STORE RPC.")
        {
            values, size,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(async output =>
        {
            var options = new MemoryBenchmarkOptions
            {
                Values = Positive(parse.GetValue(values), "--values"),
                ValueBytes = Positive(parse.GetValue(size), "--size"),
            };
            await new MemoryBenchmark(options, output).RunAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Func<BenchOutput, Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run(BenchOutput.ForConsole()).ConfigureAwait(false);
            return NodeCommandLine.Success;
        }
        catch (CommandLineException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return NodeCommandLine.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench: cancelled").ConfigureAwait(false);
            return NodeCommandLine.Failure;
        }
    }

    private static TimeSpan Seconds(double value, string name) =>
        value > 0 && !double.IsNaN(value) && value < 3600
            ? TimeSpan.FromSeconds(value)
            : throw new CommandLineException($"{name} must be a positive number of seconds");

    /// <summary><c>--put-lookup full|converge</c>: how a put's lookup ends (<c>Liaa:Storage:PutStoresAtConvergence</c>).</summary>
    private static Option<string?> PutLookupOption()
    {
        var option = new Option<string?>("--put-lookup")
        {
            Description = "How a put's lookup ends: full (every one of the k closest answers a FIND_NODE, then the STOREs) or converge (the STOREs are the final step; Liaa:Storage:PutStoresAtConvergence). Default: the node's.",
        };
        option.AcceptOnlyFromAmong("full", "converge");
        return option;
    }

    private static bool? PutLookup(string? value) => value switch
    {
        "full" => false,
        "converge" => true,
        _ => null,
    };

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new CommandLineException($"{name} must be positive");

    /// <summary>
    /// The node executable of <c>--node-exe</c>, or of <c>--node-build aot|composite</c> (published first when stale), or null for this
    /// build's Liaa.Node.dll.
    /// </summary>
    internal static async Task<string?> NodeExecutableAsync(string? path, string? build, bool liaaRuns, CancellationToken cancellationToken)
    {
        var published = build switch
        {
            "aot" => NodeBuild.Aot,
            "composite" => NodeBuild.Composite,
            _ => (NodeBuild?)null,
        };
        if (published is not null && path is not null)
        {
            throw new CommandLineException($"--node-exe and --node-build {build} name two node builds: give one");
        }

        if (path is not null)
        {
            return ExistingFile(path, "--node-exe");
        }

        if (published is null || !liaaRuns)
        {
            return null;
        }

        try
        {
            return await new NativeAotNode(ProcessCluster.NodeProject(), build: published.Value).EnsureBuiltAsync(Console.Error, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeBuildException ex)
        {
            throw new CommandLineException(ex.Message.StartsWith("error: ", StringComparison.Ordinal) ? ex.Message["error: ".Length..] : ex.Message);
        }
    }

    private static string ExistingFile(string path, string name) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new CommandLineException($"{name}: no file at '{path}'");

    internal static IReadOnlyDictionary<string, string> ParseEnvironment(IEnumerable<string> pairs)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CommandLineException($"--node-env: '{pair}' is not NAME=VALUE");
            }

            environment[pair[..equals]] = pair[(equals + 1)..];
        }

        return environment;
    }

    internal static IReadOnlyList<int> ParseList(string text, string name, int minimum, int maximum = int.MaxValue)
    {
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value)
                || value < minimum || value > maximum)
            {
                throw new CommandLineException($"{name}: '{part}' is not a whole number from {minimum} to {maximum}");
            }

            values.Add(value);
        }

        return values.Count > 0 ? values : throw new CommandLineException($"{name} needs at least one value");
    }
}

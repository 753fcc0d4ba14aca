using System.Diagnostics;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Node.Bench;

/// <summary>Parameters of <c>bench memory</c>.</summary>
internal sealed record MemoryBenchmarkOptions
{
    public int Values { get; init; } = 1_000_000;

    public int ValueBytes { get; init; } = 100;

    /// <summary>STOREs in flight.</summary>
    public int InFlight { get; init; } = 64;
}

/// <summary>
/// <c>bench memory</c>: one node fills up with values through its own STORE handling (a client
/// endpoint on an in-memory network sends the STOREs, as replicating peers would), then the managed
/// heap is measured after a full, compacting collection, beside the process working set.
/// </summary>
/// <remarks>
/// The node's storage limits (<c>MaxKeys</c>, <c>MaxTotalBytes</c>) are raised to fit the values: the
/// defaults (100,000 keys, 256 MB) would refuse most of a million; so are the per-source rate limits,
/// since one client sends every STORE. The baseline is taken with the
/// node and client already running, so the figure per value is the store's own cost.
/// </remarks>
internal sealed class MemoryBenchmark
{
    private readonly MemoryBenchmarkOptions _options;
    private readonly BenchOutput _output;

    public MemoryBenchmark(MemoryBenchmarkOptions options, BenchOutput output)
    {
        _options = options;
        _output = output;
    }

    public async Task<MemoryRun> RunAsync(CancellationToken cancellationToken)
    {
        _output.Heading($"Memory of one node holding {_options.Values:N0} values of {_options.ValueBytes} bytes");
        _output.Line(MachineInfo.Describe());
        var loadAtStart = MachineInfo.Load();
        var network = new InMemoryNetwork(TimeProvider.System, new Random(1));
        var nodeOptions = new LiaaNodeOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 1),
            Transport = network.Bind(new IPEndPoint(IPAddress.Loopback, 1)),
            Random = new Random(2),
        };
        nodeOptions.Storage.MaxKeys = _options.Values + 1;
        nodeOptions.Storage.MaxTotalBytes = (long)(_options.Values + 1) * (_options.ValueBytes + 8);
        nodeOptions.Storage.MaxValueBytes = Math.Max(nodeOptions.Storage.MaxValueBytes, _options.ValueBytes + 8);

        // One client stores everything: the per-source limits (200 STOREs/s, 25,000 keys by default) are off.
        nodeOptions.Rpc.RequestRatePerSource = 0;
        nodeOptions.Rpc.StoreRatePerSource = 0;
        nodeOptions.Storage.MaxKeysPerSource = 0;
        nodeOptions.Storage.MaxBytesPerSource = 0;
        var node = await LiaaNode.StartAsync(nodeOptions, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var nodeScope = node.ConfigureAwait(false);
        var clientTransport = network.Bind(new IPEndPoint(IPAddress.Loopback, 2));
        var client = new RpcEndpoint(clientTransport, new RpcOptions { ClientMode = true, Timeout = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        await using var clientScope = client.ConfigureAwait(false);
        client.Start(NoReplies.Instance);

        var random = new Random(4);
        var sender = NodeId.Random(random);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var started = TimeProvider.System.GetTimestamp();
        var refused = await _output.StepAsync($"storing {_options.Values:N0} values", async progress =>
        {
            var next = -1;
            var failures = 0;
            var workers = Enumerable.Range(0, _options.InFlight).Select(async worker =>
            {
                var bytes = new byte[_options.ValueBytes];
                var keyBytes = new byte[NodeId.ByteLength];
                while (true)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= _options.Values)
                    {
                        return;
                    }

                    // Distinct keys and contents, cheaply: the index in the first bytes, the rest fixed.
                    BitConverter.TryWriteBytes(keyBytes, index);
                    BitConverter.TryWriteBytes(bytes, index);
                    var request = new StoreRequest(sender, NodeId.FromSha1(keyBytes), DhtValue.FromBytes(bytes));
                    var result = await client.CallAsync(node.EndPoint, request, cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (result.Response is not StoreResponse { Stored: true })
                    {
                        Interlocked.Increment(ref failures);
                    }

                    if (worker == 0 && (index & 0x3FFF) == 0)
                    {
                        progress.Report((double)index / _options.Values, $"{index:N0}");
                    }
                }
            }).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            return failures;
        }).ConfigureAwait(false);
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        var heap = GC.GetTotalMemory(forceFullCollection: true);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        heap = Math.Min(heap, GC.GetTotalMemory(forceFullCollection: false));
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var statistics = node.GetStorageStatistics();
        var run = new MemoryRun(statistics.Keys, refused, heap, heap - baseline, process.WorkingSet64, elapsed);
        _output.Table(
            "One node's memory",
            ["values held", "refused", "GC heap (all)", "GC heap (values)", "per value", "working set", "store time", "STOREs/s"],
            [[
                run.Keys.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                run.Refused.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                $"{run.HeapBytes / 1048576.0:F0} MB",
                $"{run.ValuesBytes / 1048576.0:F0} MB",
                $"{(double)run.ValuesBytes / Math.Max(1, run.Keys):F0} B",
                $"{run.WorkingSetBytes / 1048576.0:F0} MB",
                $"{elapsed.TotalSeconds:F1} s",
                BenchOutput.Number(run.Keys / elapsed.TotalSeconds),
            ]]);
        if (_options.Values >= 1_000_000 && _options.ValueBytes >= 100)
        {
            _output.Line($"goal: at most 300 MB for 1,000,000 values of 100 bytes (GC heap after a full collection; issue 15): {(run.HeapBytes <= 300L * 1048576 ? "met" : "NOT met")}");
        }

        _output.Line($"at start: {loadAtStart}; at end: {MachineInfo.Load()}");

        return run;
    }

    /// <summary>The client only sends; requests to it (none are expected) go unanswered.</summary>
    private sealed class NoReplies : IRpcHandler
    {
        public static NoReplies Instance { get; } = new();

        public ValueTask<RpcResponse?> HandleAsync(RpcRequest request, RpcRequestContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<RpcResponse?>(null);
    }
}

/// <summary>What <c>bench memory</c> measured.</summary>
internal sealed record MemoryRun(int Keys, int Refused, long HeapBytes, long ValuesBytes, long WorkingSetBytes, TimeSpan StoreTime);

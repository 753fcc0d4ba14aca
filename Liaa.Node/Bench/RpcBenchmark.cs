using System.Diagnostics;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Bench;

/// <summary>Parameters of <c>bench rpc</c>.</summary>
internal sealed record RpcBenchmarkOptions
{
    /// <summary>Time measured per figure, split over <see cref="Rounds"/>.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(3);

    public bool Tracing { get; init; }

    public int InFlight { get; init; } = 32;

    public int Rounds { get; init; } = 3;
}

/// <summary>
/// <c>bench rpc</c>: PING and FIND_NODE round trips per second between two Liaa endpoints over real
/// UDP on 127.0.0.1, one at a time and <see cref="RpcBenchmarkOptions.InFlight"/> at once, beside a raw
/// socket ping-pong with datagrams of the same sizes, measured in the same run; with
/// <c>--tracing</c>, again with every RPC traced (both the client and the server span sampled and
/// recorded by an <see cref="ActivityListener"/>, as an exporter's would be) and the overhead.
/// </summary>
/// <remarks>
/// The figures alternate in short rounds (raw, Liaa, Liaa traced, raw, …) and each reports its
/// median round, so a burst of load from elsewhere on a shared machine hits all of them alike rather
/// than one. The server is the node's real request handling (<see cref="BenchEndpoint"/>) with a
/// routing table of 40 contacts, so FIND_NODE answers carry k = 20 contacts (~700 bytes).
/// </remarks>
internal sealed class RpcBenchmark
{
    private static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(300);

    private readonly RpcBenchmarkOptions _options;
    private readonly BenchOutput _output;

    public RpcBenchmark(RpcBenchmarkOptions options, BenchOutput output)
    {
        _options = options;
        _output = output;
    }

    public async Task<IReadOnlyList<RpcFigure>> RunAsync(CancellationToken cancellationToken)
    {
        _output.Heading("RPC round trips on 127.0.0.1: Liaa against raw UDP");
        _output.Line(MachineInfo.Describe());
        await using var server = BenchEndpoint.Start(seed: 1);
        await using var client = BenchEndpoint.Start(seed: 2);
        server.AddContacts(40, new Random(3));

        // The first exchange is plain rpcudp; from then on the peers know each other as Liaa (extended form).
        await client.Rpc.SendAsync(server.EndPoint, new PingRequest(client.Id), cancellationToken: cancellationToken).ConfigureAwait(false);
        var requests = new (string Name, RpcRequest Request)[]
        {
            ("PING", new PingRequest(client.Id)),
            ("FIND_NODE", new FindNodeRequest(client.Id, Kademlia.NodeId.Random(new Random(4)))),
        };

        var figures = new List<RpcFigure>();
        var cells = requests.SelectMany(r => new[] { 1, _options.InFlight }.Distinct().Select(n => (r.Name, r.Request, InFlight: n))).ToArray();
        var roundLength = _options.Duration / _options.Rounds;
        await _output.StepAsync($"{cells.Length} figures x {_options.Rounds} rounds", async progress =>
        {
            var done = 0;
            foreach (var (name, request, inFlight) in cells)
            {
                var (requestBytes, responseBytes) = await MeasureSizesAsync(client, server, request, cancellationToken).ConfigureAwait(false);
                var raw = new List<double>();
                var liaa = new List<double>();
                var traced = new List<double>();

                // Warm both paths (JIT, socket buffers) before anything counts.
                await RawUdpPingPong.MeasureAsync(requestBytes, responseBytes, inFlight, Warmup, cancellationToken).ConfigureAwait(false);
                await MeasureLiaaAsync(client, server, request, inFlight, Warmup, cancellationToken).ConfigureAwait(false);
                for (var round = 0; round < _options.Rounds; round++)
                {
                    raw.Add(await RawUdpPingPong.MeasureAsync(requestBytes, responseBytes, inFlight, roundLength, cancellationToken).ConfigureAwait(false));
                    liaa.Add(await MeasureLiaaAsync(client, server, request, inFlight, roundLength, cancellationToken).ConfigureAwait(false));
                    if (_options.Tracing)
                    {
                        using var tracing = new TraceEverything();
                        traced.Add(await MeasureLiaaAsync(client, server, request, inFlight, roundLength, cancellationToken).ConfigureAwait(false));
                        if (tracing.Spans == 0)
                        {
                            throw new InvalidOperationException("tracing was on but no span was recorded");
                        }
                    }

                    progress.Report((done * _options.Rounds + round + 1.0) / (cells.Length * _options.Rounds), $"{name} x{inFlight}");
                }

                figures.Add(new RpcFigure(name, inFlight, requestBytes, responseBytes, Median(raw), Median(liaa), _options.Tracing ? Median(traced) : double.NaN));
                done++;
            }
        }).ConfigureAwait(false);

        Print(figures);
        return figures;
    }

    private void Print(List<RpcFigure> figures)
    {
        var headers = new List<string> { "RPC", "in flight", "bytes (req/resp)", "raw UDP rt/s", "Liaa rt/s", "Liaa / raw", "Liaa mean latency" };
        if (_options.Tracing)
        {
            headers.AddRange(["Liaa traced rt/s", "traced / raw", "tracing overhead"]);
        }

        _output.Table(
            $"Round trips per second (median of {_options.Rounds} rounds of {(_options.Duration / _options.Rounds).TotalSeconds:F1} s)",
            headers,
            figures.Select(f =>
            {
                var row = new List<string>
                {
                    f.Method,
                    f.InFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"{f.RequestBytes}/{f.ResponseBytes}",
                    BenchOutput.Number(f.RawPerSecond),
                    BenchOutput.Number(f.LiaaPerSecond),
                    BenchOutput.Number(f.Ratio, 2),
                    $"{f.InFlight / f.LiaaPerSecond * 1e6:F0} µs",
                };
                if (_options.Tracing)
                {
                    row.AddRange([BenchOutput.Number(f.TracedPerSecond), BenchOutput.Number(f.TracedPerSecond / f.RawPerSecond, 2), BenchOutput.Percent(f.TracingOverhead)]);
                }

                return (IReadOnlyList<string>)row;
            }));

        var worst = figures.Min(f => f.Ratio);
        _output.Line($"goal (issue 9): Liaa at least 0.7 of raw UDP in every row: {(worst >= 0.7 ? "met" : "NOT met")} (lowest {worst:F2})");
        if (_options.Tracing)
        {
            var overhead = figures.Max(f => f.TracingOverhead);
            _output.Line($"goal (issue 4): at most 15 % slower with every RPC traced: {(overhead <= 0.15 ? "met" : "NOT met")} (highest {overhead:P1})");
        }

        _output.Line(MachineInfo.Load());
    }

    private static async Task<double> MeasureLiaaAsync(BenchEndpoint client, BenchEndpoint server, RpcRequest request, int inFlight, TimeSpan duration, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(duration.TotalSeconds * TimeProvider.System.TimestampFrequency);
        var started = TimeProvider.System.GetTimestamp();
        long completed = 0;
        long failed = 0;
        var workers = new Task[inFlight];
        for (var i = 0; i < inFlight; i++)
        {
            workers[i] = Task.Run(
                async () =>
                {
                    while (TimeProvider.System.GetTimestamp() < deadline)
                    {
                        var result = await client.Rpc.SendAsync(server.EndPoint, request, cancellationToken: cancellationToken).ConfigureAwait(false);
                        if (result.IsOk)
                        {
                            Interlocked.Increment(ref completed);
                        }
                        else
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        if (Interlocked.Read(ref failed) > 0 && Interlocked.Read(ref completed) == 0)
        {
            throw new InvalidOperationException($"every {request.Method} call failed");
        }

        return completed / TimeProvider.System.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>The datagram sizes of one exchange as it is on the wire between Liaa peers.</summary>
    private static async Task<(int Request, int Response)> MeasureSizesAsync(BenchEndpoint client, BenchEndpoint server, RpcRequest request, CancellationToken cancellationToken)
    {
        var result = await client.Rpc.SendAsync(server.EndPoint, request, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"{request.Method} to the bench server failed: {result.Status}");
        }

        using var writer = new PooledBufferWriter();
        WireCodec.WriteRequest(writer, MessageId.NewLiaa(new Random(5)), request, LiaaHeader.Current);
        return (writer.WrittenCount, result.ResponseBytes);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    /// <summary>Samples and records every span of <c>Liaa.Node</c>, and touches each ended span as an exporter's processor would.</summary>
    private sealed class TraceEverything : IDisposable
    {
        private readonly ActivityListener _listener;
        private long _spans;
        private long _tags;

        public TraceEverything()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    Interlocked.Increment(ref _spans);
                    var tags = 0;
                    foreach (var _ in activity.TagObjects)
                    {
                        tags++;
                    }

                    Interlocked.Add(ref _tags, tags);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public long Spans => Interlocked.Read(ref _spans);

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>One row of <c>bench rpc</c>.</summary>
internal sealed record RpcFigure(string Method, int InFlight, int RequestBytes, int ResponseBytes, double RawPerSecond, double LiaaPerSecond, double TracedPerSecond)
{
    public double Ratio => LiaaPerSecond / RawPerSecond;

    /// <summary>How much slower traced is than untraced: 1 − traced/untraced.</summary>
    public double TracingOverhead => 1 - (TracedPerSecond / LiaaPerSecond);
}

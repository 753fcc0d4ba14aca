using System.Diagnostics;
using System.Net;
using BenchmarkDotNet.Attributes;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Benchmarks;

/// <summary>
/// What tracing adds to one RPC on each side, with every span of <c>Liaa.Node</c> sampled and recorded
/// (as an exporter's listener asks): the client span with its tags and the W3C context written into the
/// extended header, and the server span parented from that context. Compare with <c>Untraced</c>, the
/// same calls with nobody listening (what a node pays when tracing is off).
/// </summary>
[MemoryDiagnoser]
public class TracingBenchmarks
{
    private readonly IPEndPoint _peer = new(IPAddress.Parse("10.0.0.7"), 8468);
    private ActivityListener? _listener;
    private FindNodeRequest _request = null!;
    private RpcRequestContext _context = null!;
    private RpcResult _result;
    private NodeId _peerId;

    /// <summary>True: an ActivityListener samples and records every span; false: nobody listens.</summary>
    [Params(true, false)]
    public bool Traced { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _peerId = NodeId.Random(random);
        _request = new FindNodeRequest(NodeId.Random(random), NodeId.Random(random));
        var header = new LiaaHeader(MessageId.LiaaProtocolVersion, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        _context = new RpcRequestContext(_peer, MessageId.NewLiaa(random), header) { RequestBytes = 136 };
        _result = new RpcResult(RpcStatus.Ok, new FindNodeResponse([]), TimeSpan.FromMilliseconds(1), true, 748);
        if (Traced)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(_listener);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.Dispose();

    /// <summary>The client side of one call: span, header with the trace context, outcome tags.</summary>
    [Benchmark]
    public LiaaHeader ClientSpan()
    {
        using var activity = RpcTelemetry.StartClient(RpcMethod.FindNode, _peer, _peerId);
        var header = RpcTelemetry.RequestHeader(activity);
        RpcTelemetry.CompleteClient(activity, _result, _peerId);
        return header;
    }

    /// <summary>The server side of one request: span parented from the request's trace context, outcome tags.</summary>
    [Benchmark]
    public bool ServerSpan()
    {
        using var activity = RpcTelemetry.StartServer(_request, _context);
        RpcTelemetry.CompleteServer(activity, "ok", 748, failed: false);
        return activity is not null;
    }
}

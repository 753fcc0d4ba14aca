using System.Buffers;
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
/// extended header of the request datagram, and the server span parented from the context read out of
/// that datagram. Compare with <c>Untraced</c>, the same calls with nobody listening (what a node pays when
/// tracing is off), and with <see cref="BareSpans"/>, the floor: the two <c>Activity</c> objects alone.
/// </summary>
[MemoryDiagnoser]
public class TracingBenchmarks
{
    private readonly IPEndPoint _peer = new(IPAddress.Parse("10.0.0.7"), 8468);
    private readonly ArrayBufferWriter<byte> _datagram = new(256);
    private ActivityListener? _listener;
    private FindNodeRequest _request = null!;
    private MessageId _id;
    private byte[] _tracedRequest = null!;
    private ActivityContext _remoteParent;
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
        _id = MessageId.NewLiaa(random);
        const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var writer = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(writer, _id, _request, new LiaaHeader(MessageId.LiaaProtocolVersion, TraceParent));
        _tracedRequest = writer.WrittenSpan.ToArray();
        _remoteParent = ActivityContext.Parse(TraceParent, null);
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

    /// <summary>The client side of one call: span, the request written with the trace context in its header, outcome tags.</summary>
    [Benchmark]
    public int ClientSpan()
    {
        using var activity = RpcTelemetry.StartClient(RpcMethod.FindNode, _peer, _peerId);
        _datagram.ResetWrittenCount();
        WireCodec.WriteRequest(_datagram, _id, _request, LiaaHeader.Current, RpcTelemetry.RequestTrace(activity));
        RpcTelemetry.CompleteClient(activity, _result, null);
        return _datagram.WrittenCount;
    }

    /// <summary>The server side of one request: its envelope read (with the trace context), the span parented from it, outcome tags.</summary>
    [Benchmark]
    public bool ServerSpan()
    {
        WireCodec.TryReadEnvelope(_tracedRequest, out var envelope, out _);
        var context = new RpcRequestContext(_peer, envelope.Id, envelope.Header) { RequestBytes = _tracedRequest.Length };
        using var activity = RpcTelemetry.StartServer(_request, context);
        RpcTelemetry.CompleteServer(activity, "ok", 748, failed: false);
        return activity is not null;
    }

    /// <summary>The floor: a client and a server span, no tags, no trace context written or read.</summary>
    [Benchmark]
    public bool BareSpans()
    {
        using var client = LiaaDiagnostics.ActivitySource.StartActivity("kademlia/FIND_NODE", ActivityKind.Client);
        using var server = LiaaDiagnostics.ActivitySource.StartActivity("kademlia/FIND_NODE", ActivityKind.Server, _remoteParent);
        return client is not null && server is not null;
    }
}

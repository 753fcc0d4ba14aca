using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Benchmarks;

/// <summary>
/// The rpcudp datagram codec on messages shaped like the captured ones (20-byte ids, 20 IPv4
/// contacts in a FIND_NODE answer, a 100-byte value), in the plain form Python peers use and the
/// extended form between Liaa peers (a request carrying a W3C trace context). Writing goes into a
/// reused buffer, as the RPC layer's pooled writer does; reading is what the receive loop does with
/// each datagram: the envelope, then the body into typed records.
/// </summary>
/// <remarks>
/// Allocation on the read side is the decoded message itself (its record, a value's bytes, a
/// response's contacts and their endpoints, an extended request's trace context): what the node keeps
/// or hands to the handler. Anything beyond that is a regression.
/// </remarks>
[MemoryDiagnoser]
public class WireCodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _writer = new(2048);
    private RpcRequest _request = null!;
    private RpcResponse _response = null!;
    private LiaaHeader? _requestHeader;
    private LiaaHeader? _responseHeader;
    private MessageId _id;
    private byte[] _requestDatagram = [];
    private byte[] _responseDatagram = [];
    private RpcMethod _method;

    [Params("PING", "STORE", "FIND_NODE", "FIND_VALUE")]
    public string Rpc { get; set; } = "PING";

    /// <summary>False: the plain rpcudp form (a Python peer); true: Liaa's extended form.</summary>
    [Params(false, true)]
    public bool Extended { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var sender = NodeId.Random(random);
        var key = NodeId.Random(random);
        var value = DhtValue.FromBytes(Enumerable.Range(0, 100).Select(i => (byte)i).ToArray());
        var contacts = Enumerable.Range(0, 20)
            .Select(i => new Contact(NodeId.Random(random), new IPEndPoint(IPAddress.Parse($"10.0.{i}.{i + 1}"), 8468 + i)))
            .ToArray();
        (_request, _response) = Rpc switch
        {
            "PING" => ((RpcRequest)new PingRequest(sender), (RpcResponse)new PingResponse(key)),
            "STORE" => (new StoreRequest(sender, key, value) { PublishedAt = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) }, new StoreResponse(true)),
            "FIND_NODE" => (new FindNodeRequest(sender, key), new FindNodeResponse(contacts)),
            _ => (new FindValueRequest(sender, key), FindValueResponse.Hit(value)),
        };
        _method = _request.Method;
        _id = Extended ? MessageId.NewLiaa(random) : MessageId.NewRandom(random);
        _requestHeader = Extended ? new LiaaHeader(MessageId.LiaaProtocolVersion, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") : null;
        _responseHeader = Extended ? LiaaHeader.Current : null;

        _writer.ResetWrittenCount();
        WireCodec.WriteRequest(_writer, _id, _request, _requestHeader);
        _requestDatagram = _writer.WrittenSpan.ToArray();
        _writer.ResetWrittenCount();
        WireCodec.WriteResponse(_writer, _id, _response, _responseHeader);
        _responseDatagram = _writer.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int WriteRequest()
    {
        _writer.ResetWrittenCount();
        WireCodec.WriteRequest(_writer, _id, _request, _requestHeader);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int WriteResponse()
    {
        _writer.ResetWrittenCount();
        WireCodec.WriteResponse(_writer, _id, _response, _responseHeader);
        return _writer.WrittenCount;
    }

    /// <summary>The envelope alone: type byte, message id and (extended) the Liaa header.</summary>
    [Benchmark]
    public int ReadEnvelope() =>
        WireCodec.TryReadEnvelope(_requestDatagram, out var envelope, out _) ? envelope.BodyOffset : -1;

    /// <summary>What a server does with a request datagram before handing it to the handler.</summary>
    [Benchmark]
    public RpcRequest? ReadRequest()
    {
        if (!WireCodec.TryReadEnvelope(_requestDatagram, out var envelope, out _))
        {
            return null;
        }

        return WireCodec.TryDecodeRequest(envelope.GetBody(_requestDatagram), envelope, out var request, out _) ? request : null;
    }

    /// <summary>What a client does with a response datagram once it matched a pending call.</summary>
    [Benchmark]
    public RpcResponse? ReadResponse()
    {
        if (!WireCodec.TryReadEnvelope(_responseDatagram, out var envelope, out _))
        {
            return null;
        }

        return WireCodec.TryDecodeResponse(_method, envelope.GetBody(_responseDatagram), envelope, out var response, out _) ? response : null;
    }
}

using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>The datagrams captured from the Python reference, in both directions.</summary>
public sealed class WireCodecCaptureTests
{
    public static TheoryData<int> Lines => RpcCaptures.Lines;

    [Fact]
    public void Captures_HoldEveryDatagram_OfTheReferenceRun()
    {
        // WIRE.md speaks of 123; the file holds 122, every request with its response.
        Assert.Equal(122, RpcCaptures.All.Count);
        Assert.Equal(61, RpcCaptures.All.Count(c => c.IsRequest));
        Assert.All(RpcCaptures.All.Where(c => c.IsRequest), r => Assert.Single(RpcCaptures.All, c => !c.IsRequest && c.Id == r.Id));
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Decode_YieldsTheMessageOfTheComment_ForEveryCapture(int line)
    {
        var capture = RpcCaptures.AtLine(line);
        if (capture.IsRequest)
        {
            var (envelope, request) = WireAssert.DecodeRequest(capture.Datagram);
            Assert.False(envelope.IsExtended);
            Assert.Null(envelope.Header);
            Assert.Equal(capture.Id, envelope.Id.ToString());
            Assert.Equal(RpcCaptures.ExpectedRequest(capture), request);
        }
        else
        {
            var (envelope, response) = WireAssert.DecodeResponse(RpcCaptures.MethodOf(capture), capture.Datagram);
            Assert.False(envelope.IsExtended);
            Assert.Equal(capture.Id, envelope.Id.ToString());
            WireAssert.ResponsesEqual(RpcCaptures.ExpectedResponse(capture), response);
        }
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Write_ReproducesThePythonBytes_ForEveryCapture(int line)
    {
        var capture = RpcCaptures.AtLine(line);
        var id = MessageId.Read(capture.Datagram.AsSpan(1));
        var written = capture.IsRequest
            ? WireAssert.Request(id, RpcCaptures.ExpectedRequest(capture))
            : WireAssert.Response(id, RpcCaptures.ExpectedResponse(capture));
        Assert.Equal(Convert.ToHexStringLower(capture.Datagram), Convert.ToHexStringLower(written));
    }

    [Fact]
    public void Captures_CoverEveryRpcAndValueKind_ThePythonClientsSent()
    {
        var methods = RpcCaptures.All.Where(c => c.IsRequest).Select(RpcCaptures.MethodOf).ToHashSet();
        Assert.Equal([RpcMethod.Ping, RpcMethod.Store, RpcMethod.FindNode, RpcMethod.FindValue], methods.Order());
        var stored = RpcCaptures.All.Where(c => c.IsRequest).Select(RpcCaptures.ExpectedRequest).OfType<StoreRequest>()
            .Select(s => s.Value.Kind).ToHashSet();
        Assert.Equal([DhtValueKind.Integer, DhtValueKind.Float, DhtValueKind.String, DhtValueKind.Bytes], stored.Order());
        Assert.Contains(RpcCaptures.All.Where(c => !c.IsRequest), c => c.Body is List<KeyValuePair<object?, object?>>);
    }
}

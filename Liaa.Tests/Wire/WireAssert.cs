using System.Buffers;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>Comparisons and round trips shared by the wire tests.</summary>
internal static class WireAssert
{
    /// <summary>
    /// Response records hold contact lists, which records compare by reference: compare them by
    /// content, and everything else as the records do.
    /// </summary>
    public static void ResponsesEqual(RpcResponse expected, RpcResponse actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        switch (expected)
        {
            case FindNodeResponse findNode:
                Assert.Equal(findNode.Contacts, ((FindNodeResponse)actual).Contacts);
                break;
            case FindValueResponse findValue:
                var other = (FindValueResponse)actual;
                Assert.Equal(findValue.Value, other.Value);
                Assert.Equal(findValue.PublishedAt, other.PublishedAt);
                Assert.Equal(findValue.Contacts, other.Contacts);
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }

    public static byte[] Request(MessageId id, RpcRequest request, LiaaHeader? header = null)
    {
        var output = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(output, id, request, header);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Response(MessageId id, RpcResponse response, LiaaHeader? header = null)
    {
        var output = new ArrayBufferWriter<byte>();
        WireCodec.WriteResponse(output, id, response, header);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Envelope and body of a request datagram, asserting both are accepted.</summary>
    public static (DatagramEnvelope Envelope, RpcRequest Request) DecodeRequest(byte[] datagram)
    {
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason), reason.ToString());
        Assert.Equal(DatagramKind.Request, envelope.Kind);
        Assert.True(WireCodec.TryDecodeRequest(envelope.GetBody(datagram), envelope, out var request, out reason), reason.ToString());
        Assert.Equal(DropReason.None, reason);
        return (envelope, request);
    }

    /// <summary>Envelope and body of a response datagram answering <paramref name="method"/>, asserting both are accepted.</summary>
    public static (DatagramEnvelope Envelope, RpcResponse Response) DecodeResponse(RpcMethod method, byte[] datagram)
    {
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason), reason.ToString());
        Assert.Equal(DatagramKind.Response, envelope.Kind);
        Assert.True(WireCodec.TryDecodeResponse(method, envelope.GetBody(datagram), envelope, out var response, out reason), reason.ToString());
        Assert.Equal(DropReason.None, reason);
        return (envelope, response);
    }

    /// <summary>The reason a request datagram is dropped (envelope first, then body).</summary>
    public static DropReason RequestDropReason(ReadOnlySpan<byte> datagram)
    {
        if (!WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason))
        {
            return reason;
        }

        var accepted = WireCodec.TryDecodeRequest(envelope.GetBody(datagram), envelope, out var request, out reason);
        Assert.Equal(accepted, request is not null);
        Assert.Equal(accepted, reason == DropReason.None);
        return reason;
    }

    /// <summary>The reason a response datagram answering <paramref name="method"/> is dropped.</summary>
    public static DropReason ResponseDropReason(RpcMethod method, ReadOnlySpan<byte> datagram)
    {
        if (!WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason))
        {
            return reason;
        }

        var accepted = WireCodec.TryDecodeResponse(method, envelope.GetBody(datagram), envelope, out var response, out reason);
        Assert.Equal(accepted, response is not null);
        Assert.Equal(accepted, reason == DropReason.None);
        return reason;
    }
}

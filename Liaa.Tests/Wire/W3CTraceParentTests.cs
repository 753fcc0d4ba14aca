using System.Buffers;
using System.Diagnostics;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// The trace context of the Liaa header read and written as fields (<see cref="W3CTraceParent"/>): the same bytes
/// on the wire and the same parent for a server span as with the <c>traceparent</c> text, for every text.
/// </summary>
public sealed class W3CTraceParentTests
{
    private const string Valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly MessageId Id = MessageId.NewLiaa(new Random(5));
    private static readonly PingRequest Ping = new(NodeId.FromKey("sender"));

    public static TheoryData<string> Texts => new(
        Valid,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff",
        "fe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", // a later version of the same shape
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff is invalid
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // uppercase trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", // uppercase span id
        "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // uppercase version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", // uppercase flags
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // all-zero span id
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", // too short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011", // too long
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", // other separators (ActivityContext takes them)
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0é", // not ASCII
        "",
        "not a traceparent");

    [Theory]
    [MemberData(nameof(Texts))]
    public void Fields_AreTakenForExactlyTheDashedTextsActivityContextAccepts_AndFormatBackToThem(string text)
    {
        var accepted = ActivityContext.TryParse(text, null, out _);
        var dashed = text.Length == W3CTraceParent.Length && text[2] == '-' && text[35] == '-' && text[52] == '-';

        Assert.Equal(accepted && dashed, W3CTraceParent.TryParse(text, out var parsed));
        Assert.Equal(accepted && dashed, W3CTraceParent.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out var parsedUtf8));
        if (accepted && dashed)
        {
            Assert.Equal(parsed, parsedUtf8);
            Assert.Equal(text, parsed.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Header_KeepsEveryText_AndPutsTheSameBytesOnTheWire(string text)
    {
        var header = new LiaaHeader(MessageId.LiaaProtocolVersion, text, "congo=t61rcWkgMzE");
        Assert.Equal(text, header.TraceParent);
        var datagram = WireAssert.Request(Id, Ping, header);

        // {"v": 1, "tp": text, "ts": "congo=t61rcWkgMzE"}: the text as a MessagePack str, as the string path wrote it.
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        var tp = utf8.Length < 32 ? [(byte)(0xa0 | utf8.Length), .. utf8] : new byte[] { 0xd9, (byte)utf8.Length }.Concat(utf8).ToArray();
        var expected = Convert.FromHexString("83" + "a176" + "01" + "a27470").Concat(tp).Concat(Convert.FromHexString("a27473" + "b1")).Concat("congo=t61rcWkgMzE"u8.ToArray()).ToArray();
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(datagram.AsSpan(WireCodec.PrefixSize, expected.Length)));

        var (envelope, _) = WireAssert.DecodeRequest(datagram);
        Assert.Equal(header, envelope.Header);
        Assert.Equal(text, envelope.Header!.TraceParent);
        Assert.Equal("congo=t61rcWkgMzE", envelope.Header.TraceState);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void ServerSpanParent_IsWhatActivityContextParsesFromTheText(string text)
    {
        var (envelope, _) = WireAssert.DecodeRequest(WireAssert.Request(Id, Ping, new LiaaHeader(MessageId.LiaaProtocolVersion, text, "k=v")));
        var expected = ActivityContext.TryParse(text, "k=v", isRemote: true, out var context) ? context : default;

        var parent = RpcTelemetry.RemoteParent(envelope.Header);

        Assert.Equal(expected, parent);
        Assert.Equal(expected.IsRemote, parent.IsRemote);
        Assert.Equal(expected.TraceState, parent.TraceState);
    }

    [Fact]
    public void RandomIds_RoundTrip_ThroughTheText()
    {
        var random = new Random(7);
        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        for (var i = 0; i < 1000; i++)
        {
            random.NextBytes(traceId);
            random.NextBytes(spanId);
            var flags = (byte)random.Next(256);
            var traceParent = new W3CTraceParent(0, traceId, spanId, flags);
            var text = traceParent.ToString();

            Assert.Equal($"00-{Convert.ToHexStringLower(traceId)}-{Convert.ToHexStringLower(spanId)}-{flags:x2}", text);
            Assert.True(W3CTraceParent.TryParse(text, out var parsed));
            Assert.Equal(traceParent, parsed);
        }
    }

    [Fact]
    public void TracedHeader_IsWrittenWithoutAllocating_AndReadIntoOneObject()
    {
        var header = new LiaaHeader(MessageId.LiaaProtocolVersion, Valid);
        var output = new ArrayBufferWriter<byte>(512);
        WireCodec.WriteRequest(output, Id, Ping, header);
        var datagram = output.WrittenSpan.ToArray();
        WireCodec.TryReadEnvelope(datagram, out _, out _);

        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        WireCodec.WriteRequest(output, Id, Ping, header);
        var written = GC.GetAllocatedBytesForCurrentThread() - before;

        before = GC.GetAllocatedBytesForCurrentThread();
        WireCodec.TryReadEnvelope(datagram, out var envelope, out _);
        var read = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, written);

        // The header object alone (~72 B); the text and its copy (2 x 136 B) are gone.
        Assert.InRange(read, 1, 100);
        Assert.Equal(header, envelope.Header);
    }
}

using System.Buffers;
using System.Diagnostics;
using System.Net;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

/// <summary>The pieces of the traced RPC path that are cached or written without strings give what the plain ones gave.</summary>
public sealed class RpcTelemetryTests
{
    [Theory]
    [InlineData(ActivityTraceFlags.None, null)]
    [InlineData(ActivityTraceFlags.Recorded, null)]
    [InlineData(ActivityTraceFlags.Recorded, "congo=t61rcWkgMzE")]
    public void RequestTrace_CarriesTheSpansId_AsActivityIdGivesIt(ActivityTraceFlags flags, string? traceState)
    {
        using var span = new Activity("call");
        span.SetIdFormat(ActivityIdFormat.W3C);
        span.ActivityTraceFlags = flags;
        span.TraceStateString = traceState;
        span.Start();

        var header = HeaderSent(RpcTelemetry.RequestTrace(span));

        Assert.Equal(span.Id, header.TraceParent);
        Assert.Equal(traceState, header.TraceState);
        Assert.Equal(MessageId.LiaaProtocolVersion, header.Version);
    }

    [Fact]
    public void RequestTrace_IsTheSameBytes_AsTheHeaderWithTheText()
    {
        using var span = new Activity("call");
        span.SetIdFormat(ActivityIdFormat.W3C);
        span.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        span.TraceStateString = "k=v";
        span.Start();
        var request = new PingRequest(Liaa.Node.Kademlia.NodeId.FromKey("sender"));
        var id = MessageId.NewLiaa(new Random(5));

        var traced = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(traced, id, request, LiaaHeader.Current, RpcTelemetry.RequestTrace(span));
        var text = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(text, id, request, new LiaaHeader(MessageId.LiaaProtocolVersion, span.Id, "k=v"));

        Assert.Equal(Convert.ToHexString(text.WrittenSpan), Convert.ToHexString(traced.WrittenSpan));
    }

    [Fact]
    public void RequestTrace_IsWrittenWithoutAllocating()
    {
        using var span = new Activity("call");
        span.SetIdFormat(ActivityIdFormat.W3C);
        span.Start();
        var request = new PingRequest(Liaa.Node.Kademlia.NodeId.FromKey("sender"));
        var id = MessageId.NewLiaa(new Random(5));
        var output = new ArrayBufferWriter<byte>(512);
        WireCodec.WriteRequest(output, id, request, LiaaHeader.Current, RpcTelemetry.RequestTrace(span));

        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        WireCodec.WriteRequest(output, id, request, LiaaHeader.Current, RpcTelemetry.RequestTrace(span));

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void RequestTrace_CarriesNoContext_FromASpanWithoutAW3CId()
    {
        using var hierarchical = new Activity("call");
        hierarchical.SetIdFormat(ActivityIdFormat.Hierarchical);
        hierarchical.Start();
        Assert.True(RpcTelemetry.RequestTrace(hierarchical).IsEmpty);
        Assert.Same(LiaaHeader.Current, HeaderSent(RpcTelemetry.RequestTrace(hierarchical)));

        using var notStarted = new Activity("call");
        notStarted.SetIdFormat(ActivityIdFormat.W3C);
        Assert.True(RpcTelemetry.RequestTrace(notStarted).IsEmpty);
        Assert.Same(LiaaHeader.Current, HeaderSent(RpcTelemetry.RequestTrace(notStarted)));
    }

    [Fact]
    public void ClientSpan_EndsAtItsStartPlusTheCallsElapsedTime()
    {
        using var span = new Activity("call").Start();

        RpcTelemetry.CompleteClient(span, new RpcResult(RpcStatus.Ok, null, TimeSpan.FromMilliseconds(250), true, 12), null);
        span.Stop();

        Assert.Equal(TimeSpan.FromMilliseconds(250), span.Duration);
        Assert.Equal("ok", span.GetTagItem(RpcTelemetry.OutcomeTag));
    }

    [Fact]
    public void ClientSpan_OfACallThatTookNoTime_IsEndedByStop()
    {
        using var span = new Activity("call").Start();

        RpcTelemetry.CompleteClient(span, new RpcResult(RpcStatus.Cancelled, null, TimeSpan.Zero, false, 0), null);

        // No end time set: Activity.Stop takes it from the clock (a zero duration means "not ended").
        Assert.Equal(TimeSpan.Zero, span.Duration);
        span.Stop();
        Assert.NotEqual(TimeSpan.Zero, span.Duration);
    }

    [Fact]
    public void BoxedTagValues_AreTheValues_AndReusedWhileTheirSlotHoldsThem()
    {
        var port = TagText.Boxed(8468);
        Assert.Equal(8468, port);
        Assert.Same(port, TagText.Boxed(8468));
        Assert.Equal(748, TagText.Boxed(748));
        Assert.Equal(8468 + 2048, TagText.Boxed(8468 + 2048));
        Assert.Equal(8468, TagText.Boxed(8468));
        Assert.Equal(0, TagText.Boxed(0));
    }

    [Fact]
    public void PeerText_IsTheFormattedValue_WhicheverThreadAsked()
    {
        var addresses = new[] { IPAddress.Parse("10.1.0.1"), IPAddress.Parse("10.1.0.2"), IPAddress.IPv6Loopback };
        var ids = Enumerable.Range(0, 3).Select(i => Liaa.Node.Kademlia.NodeId.FromKey($"peer {i}")).ToArray();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < addresses.Length; i++)
            {
                Assert.Equal(addresses[i].ToString(), TagText.Of(addresses[i]));
                Assert.Equal(ids[i].ToString(), TagText.Of(ids[i]));
                Assert.Same(TagText.Of(ids[i]), TagText.Of(ids[i]));
            }
        }
    }

    // The header a peer reads from a PING written with this trace context.
    private static LiaaHeader HeaderSent(OutgoingTraceContext trace)
    {
        var output = new ArrayBufferWriter<byte>();
        WireCodec.WriteRequest(output, MessageId.NewLiaa(new Random(5)), new PingRequest(Liaa.Node.Kademlia.NodeId.FromKey("sender")), LiaaHeader.Current, trace);
        Assert.True(WireCodec.TryReadEnvelope(output.WrittenSpan, out var envelope, out var reason), reason.ToString());
        return envelope.Header!;
    }
}

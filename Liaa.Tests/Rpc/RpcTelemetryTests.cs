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
    public void RequestHeader_CarriesTheSpansId_AsActivityIdGivesIt(ActivityTraceFlags flags, string? traceState)
    {
        using var span = new Activity("call");
        span.SetIdFormat(ActivityIdFormat.W3C);
        span.ActivityTraceFlags = flags;
        span.TraceStateString = traceState;
        span.Start();

        var header = RpcTelemetry.RequestHeader(span);

        Assert.Equal(span.Id, header.TraceParent);
        Assert.Equal(traceState, header.TraceState);
        Assert.Equal(MessageId.LiaaProtocolVersion, header.Version);
    }

    [Fact]
    public void RequestHeader_CarriesNoContext_FromASpanWithoutAW3CId()
    {
        using var hierarchical = new Activity("call");
        hierarchical.SetIdFormat(ActivityIdFormat.Hierarchical);
        hierarchical.Start();
        Assert.Same(LiaaHeader.Current, RpcTelemetry.RequestHeader(hierarchical));

        using var notStarted = new Activity("call");
        notStarted.SetIdFormat(ActivityIdFormat.W3C);
        Assert.Same(LiaaHeader.Current, RpcTelemetry.RequestHeader(notStarted));
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
}

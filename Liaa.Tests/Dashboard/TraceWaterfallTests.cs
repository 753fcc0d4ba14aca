using System.Diagnostics;
using Liaa.AppHost.Dashboard;
using static Liaa.Tests.Dashboard.DashboardTestData;

namespace Liaa.Tests.Dashboard;

public sealed class TraceWaterfallTests
{
    private const string Target = "f000000000000000000000000000000000000000";
    private const string Node1Id = "e000000000000000000000000000000000000000";
    private const string Node2Id = "0000000000000000000000000000000000000001";

    private static readonly NodeDirectory Directory = new(
        new Dictionary<string, string> { [Node1Id] = "node-1", [Node2Id] = "node-2" },
        new Dictionary<string, string> { ["127.0.0.1:4001"] = "node-1", ["127.0.0.1:4002"] = "node-2" },
        new Dictionary<string, string> { ["node-1"] = Node1Id, ["node-2"] = Node2Id });

    private static Dictionary<string, object?> Rpc(string method, string? peerAddress = null, string? peerId = null, string outcome = "ok")
    {
        var attributes = new Dictionary<string, object?> { ["rpc.system"] = "kademlia", ["rpc.method"] = method, ["liaa.rpc.outcome"] = outcome };
        if (peerAddress is not null)
        {
            attributes["server.address"] = peerAddress.Split(':')[0];
            attributes["server.port"] = long.Parse(peerAddress.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        if (peerId is not null)
        {
            attributes["liaa.peer.id"] = peerId;
        }

        return attributes;
    }

    [Fact]
    public void Build_OrdersSpansAsATree_ParentsFirstAndSiblingsByStart()
    {
        var spans = new[]
        {
            Span("c2", "r", "second", 20, 5),
            Span("g1", "c1", "grandchild", 12, 1),
            Span("r", null, "root", 0, 40),
            Span("c1", "r", "first", 10, 5),
            Span("o", "missing", "orphan", 30, 1, node: "node-3"),
        };

        var waterfall = TraceWaterfall.Build(spans, NodeDirectory.Empty)!;

        Assert.Equal(["root", "first", "grandchild", "second", "orphan"], waterfall.Spans.Select(s => s.Name));
        Assert.Equal([0, 1, 2, 1, 0], waterfall.Spans.Select(s => s.Depth));
        Assert.Equal((40.0, 5, "root"), (waterfall.DurationMs, waterfall.SpanCount, waterfall.RootName));
        Assert.Equal(["node-0", "node-3"], waterfall.Nodes);
        Assert.Equal(12.0, waterfall.Spans[2].OffsetMs);
    }

    [Fact]
    public void Build_NamesPeers_ByEndpointOnClientSpansAndByIdOnServerSpans()
    {
        var spans = new[]
        {
            Span("l", null, "lookup FIND_NODE", 0, 10, attributes: new() { ["liaa.lookup.target"] = Target }),
            Span("c", "l", "kademlia/FIND_NODE", 1, 3, kind: ActivityKind.Client, attributes: Rpc("FIND_NODE", peerAddress: "127.0.0.1:4001")),
            Span("s", "c", "kademlia/FIND_NODE", 2, 1, node: "node-1", instance: Node1Id, kind: ActivityKind.Server, attributes: Rpc("FIND_NODE", peerId: Node2Id)),
            Span("t", "l", "kademlia/PING", 5, 5, kind: ActivityKind.Client, status: ActivityStatusCode.Error, attributes: Rpc("PING", peerAddress: "127.0.0.1:4002", outcome: "timeout")),
        };

        var rows = TraceWaterfall.Build(spans, Directory)!.Spans.ToDictionary(s => s.SpanId);

        Assert.Equal(("node-1", Node1Id, "FIND_NODE", "ok"), (rows["c"].PeerNode, rows["c"].PeerId, rows["c"].Method, rows["c"].Outcome));
        Assert.Equal(("node-2", Node2Id), (rows["s"].PeerNode, rows["s"].PeerId));
        Assert.Equal(("node-2", "timeout", "error"), (rows["t"].PeerNode, rows["t"].Outcome, rows["t"].Status));
        Assert.True(TraceWaterfall.Build(spans, Directory)!.HasError);
    }

    [Fact]
    public void Build_GivesTheDistanceOfTheAnsweringNodeToTheTarget_BelowALookupOrAPut()
    {
        var spans = new[]
        {
            Span("p", null, "put", 0, 10, attributes: new() { ["liaa.key"] = Target }),
            Span("c", "p", "kademlia/STORE", 1, 3, kind: ActivityKind.Client, attributes: Rpc("STORE", peerAddress: "127.0.0.1:4002")),
            Span("s", "c", "kademlia/STORE", 2, 1, node: "node-1", instance: Node1Id, kind: ActivityKind.Server, attributes: Rpc("STORE", peerId: Node2Id)),
            Span("x", null, "kademlia/PING", 5, 1, kind: ActivityKind.Client, attributes: Rpc("PING", peerAddress: "127.0.0.1:4001"), traceId: "0af7651916cd43dd8448eb211c80319c"),
        };

        var rows = TraceWaterfall.Build(spans, Directory)!.Spans.ToDictionary(s => s.SpanId);

        Assert.Equal(160, rows["c"].DistanceBits);
        Assert.Equal(157, rows["s"].DistanceBits);
        Assert.Null(rows["p"].DistanceBits);
        Assert.Null(rows["x"].DistanceBits);
    }

    [Fact]
    public void Build_ReturnsNull_ForATraceWithNoSpans()
    {
        Assert.Null(TraceWaterfall.Build([], NodeDirectory.Empty));
    }
}

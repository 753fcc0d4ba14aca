using System.Diagnostics;
using System.Globalization;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// A trace laid out for a waterfall: spans in tree order (each parent before its children, siblings
/// by start), with their depth, offset and duration relative to the trace's start, and what a
/// Kademlia reader wants on each row: the node that recorded it, the peer it talked to (by name when
/// the peer is a node of this cluster), the RPC method and outcome, and, below a lookup or a put, how
/// far the node answering each RPC is from the target, so a lookup reads as the path it took through
/// the id space.
/// </summary>
/// <remarks>
/// A span whose parent is not held (the parent was evicted, is in a process that exports nothing, or
/// has not arrived yet) is shown as a root. The waterfall holds no reference to the store.
/// </remarks>
internal sealed record TraceWaterfall(
    string TraceId,
    string RootName,
    DateTimeOffset Start,
    double DurationMs,
    int SpanCount,
    IReadOnlyList<string> Nodes,
    bool HasError,
    IReadOnlyList<WaterfallSpan> Spans)
{
    public const string PeerIdAttribute = "liaa.peer.id";
    public const string LookupTargetAttribute = "liaa.lookup.target";
    public const string KeyAttribute = "liaa.key";

    /// <summary>Lays out <paramref name="spans"/> (one trace), naming peers through <paramref name="nodes"/>.</summary>
    public static TraceWaterfall? Build(IReadOnlyList<StoredSpan> spans, NodeDirectory nodes)
    {
        if (spans.Count == 0)
        {
            return null;
        }

        var byId = new Dictionary<string, StoredSpan>(StringComparer.Ordinal);
        foreach (var span in spans)
        {
            byId.TryAdd(span.SpanId, span);
        }

        var children = spans
            .Where(s => s.ParentSpanId is not null && byId.ContainsKey(s.ParentSpanId))
            .GroupBy(s => s.ParentSpanId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.StartTime).ToList(), StringComparer.Ordinal);
        var roots = spans.Where(s => s.ParentSpanId is null || !byId.ContainsKey(s.ParentSpanId)).OrderBy(s => s.StartTime).ToList();
        var start = spans.Min(s => s.StartTime);
        var end = spans.Max(s => s.EndTime);

        var rows = new List<WaterfallSpan>(spans.Count);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(StoredSpan Span, int Depth, string? Target)>();
        foreach (var root in Enumerable.Reverse(roots))
        {
            stack.Push((root, 0, null));
        }

        while (stack.Count > 0)
        {
            var (span, depth, inheritedTarget) = stack.Pop();
            if (!visited.Add(span.SpanId))
            {
                continue;
            }

            // A lookup names its target; a put's STOREs go to the nodes closest to its key.
            var target = Text(span, LookupTargetAttribute) ?? Text(span, KeyAttribute) ?? inheritedTarget;
            rows.Add(Row(span, depth, start, target, nodes));
            if (children.TryGetValue(span.SpanId, out var kids))
            {
                for (var i = kids.Count - 1; i >= 0; i--)
                {
                    stack.Push((kids[i], depth + 1, target));
                }
            }
        }

        var first = roots.Count > 0 ? roots[0] : spans[0];
        return new TraceWaterfall(
            first.TraceId,
            first.Name,
            start,
            Milliseconds(end - start),
            spans.Count,
            [.. rows.Select(r => r.Node).Distinct(StringComparer.Ordinal)],
            spans.Any(s => s.StatusCode == ActivityStatusCode.Error),
            rows);
    }

    private static WaterfallSpan Row(StoredSpan span, int depth, DateTimeOffset start, string? target, NodeDirectory nodes)
    {
        var peerAddress = Endpoint(span, "server.address", "server.port") ?? Endpoint(span, "client.address", "client.port");

        // Client spans know the peer by address only (its id arrives with the answer, if at all);
        // server spans carry the requester's id.
        var peerId = Text(span, PeerIdAttribute);
        var peerNode = peerId is not null ? nodes.NameOf(peerId) : null;
        peerNode ??= peerAddress is not null ? nodes.NameAt(peerAddress) : null;
        peerId ??= peerNode is not null && span.Kind == ActivityKind.Client ? nodes.IdOf(peerNode) : null;

        // How far the node answering this RPC is from the target: the peer for a request this node
        // sent, this node for one it served. Down the rows of a lookup, it falls round by round.
        var answering = span.Kind switch
        {
            ActivityKind.Client => peerId,
            ActivityKind.Server when span.Attributes.ContainsKey("rpc.system") => span.Service.InstanceId,
            _ => null,
        };
        var outcome = Text(span, "liaa.rpc.outcome")
            ?? (span.StatusCode == ActivityStatusCode.Error ? "error" : span.Attributes.ContainsKey("http.response.status_code") ? Text(span, "http.response.status_code") : null);
        return new WaterfallSpan(
            span.SpanId,
            span.ParentSpanId,
            depth,
            span.Name,
            span.Kind.ToString().ToLowerInvariant(),
            span.Service.ServiceName,
            span.Service.InstanceId,
            Milliseconds(span.StartTime - start),
            Milliseconds(span.Duration),
            span.StatusCode switch
            {
                ActivityStatusCode.Error => "error",
                ActivityStatusCode.Ok => "ok",
                _ => "unset",
            },
            span.StatusMessage,
            Text(span, "rpc.method"),
            peerId,
            peerNode,
            peerAddress,
            outcome,
            answering is not null && target is not null ? IdSpace.DistanceBits(answering, target) : null,
            span.Attributes,
            [.. span.Events.Select(e => new WaterfallEvent(e.Name, Milliseconds(e.Time - start), e.Attributes))]);
    }

    private static string? Endpoint(StoredSpan span, string address, string port) =>
        Text(span, address) is { } host ? Text(span, port) is { } number ? $"{host}:{number}" : host : null;

    private static string? Text(StoredSpan span, string attribute) =>
        span.Attributes.GetValueOrDefault(attribute) is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;

    private static double Milliseconds(TimeSpan span) => Math.Round(span.TotalMilliseconds, 3);
}

/// <summary>
/// One row of a waterfall; times in milliseconds from the trace's start. <c>Node</c> recorded the
/// span; <c>PeerNode</c> is the peer's name when it is a node of this cluster (by id or by UDP
/// endpoint); <c>DistanceBits</c>, for an RPC below a lookup or a put, is the length in bits of the
/// XOR distance from the node answering it to the target.
/// </summary>
internal sealed record WaterfallSpan(
    string SpanId,
    string? ParentSpanId,
    int Depth,
    string Name,
    string Kind,
    string Node,
    string? NodeId,
    double OffsetMs,
    double DurationMs,
    string Status,
    string? StatusMessage,
    string? Method,
    string? PeerId,
    string? PeerNode,
    string? PeerAddress,
    string? Outcome,
    int? DistanceBits,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<WaterfallEvent> Events);

internal sealed record WaterfallEvent(string Name, double OffsetMs, IReadOnlyDictionary<string, object?> Attributes);

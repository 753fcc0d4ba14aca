using System.Text.Json;

namespace Liaa.Explorer;

/// <summary>
/// The lookups the nodes recorded for one key (each node's <c>GET /v1/lookups?target=…</c>: its latest
/// lookups, round by round), with every node named and a link to the lookup's trace in the Aspire
/// dashboard. The newest lookup of the key, by whichever node ran it, is the one the page draws.
/// </summary>
internal static class RecordedLookups
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Every recorded lookup of <paramref name="target"/> in <paramref name="reads"/> (node name to its
    /// <c>/v1/lookups</c> answer), newest first.
    /// </summary>
    public static IReadOnlyList<RecordedLookup> From(
        Id160 target,
        IReadOnlyDictionary<string, NodeRead> reads,
        IReadOnlyDictionary<string, string> namesById,
        Uri? dashboard)
    {
        var lookups = new List<RecordedLookup>();
        foreach (var (node, read) in reads)
        {
            if (read.Json is not { } json || json.Deserialize<NodeLookups>(Json) is not { Lookups: { } recorded })
            {
                continue;
            }

            foreach (var lookup in recorded.Where(l => string.Equals(l.Target, target.Hex, StringComparison.OrdinalIgnoreCase)))
            {
                lookups.Add(Describe(node, target, lookup, namesById, dashboard));
            }
        }

        return [.. lookups.OrderByDescending(l => l.StartedAt)];
    }

    /// <summary>The Aspire dashboard's page of one trace.</summary>
    public static Uri? TraceUrl(Uri? dashboard, string? traceId) =>
        dashboard is null || traceId is null ? null : new Uri(dashboard, "/traces/detail/" + traceId);

    private static RecordedLookup Describe(string node, Id160 target, NodeLookup lookup, IReadOnlyDictionary<string, string> namesById, Uri? dashboard)
    {
        LookupPeer Peer(string id, bool failed = false) =>
            Id160.TryParse(id, out var parsed)
                ? new LookupPeer(namesById.GetValueOrDefault(parsed.Hex), parsed.Hex, parsed.DistanceBits(target), failed)
                : new LookupPeer(null, id, 0, failed);

        var rounds = (lookup.Rounds ?? []).Select(r => new RecordedRound(
            r.Round,
            Math.Round((r.SentAt - lookup.StartedAt).TotalMilliseconds, 1),
            r.FinalStep,
            [.. (r.Requests ?? []).Select(q => new RecordedRequest(
                Peer(q.Id, q.Outcome is "timeout" or "failed"),
                q.Outcome,
                q.Ms,
                q.Returned,
                [.. (q.Closer ?? []).Select(c => Peer(c))]))]));
        return new RecordedLookup(
            node,
            lookup.Kind,
            lookup.StartedAt,
            lookup.DurationMs,
            lookup.TraceId,
            TraceUrl(dashboard, lookup.TraceId)?.AbsoluteUri,
            lookup.InitialContacts,
            lookup.Contacted,
            lookup.Timeouts,
            lookup.Hops,
            lookup.Found,
            lookup.DeadlineExceeded,
            lookup.Truncated,
            [.. rounds],
            [.. (lookup.Closest ?? []).Select(c => Peer(c))]);
    }

    private sealed record NodeLookups(string? Self, IReadOnlyList<NodeLookup>? Lookups);

    private sealed record NodeLookup(
        string Kind,
        string Target,
        DateTimeOffset StartedAt,
        double? DurationMs,
        string? TraceId,
        int InitialContacts,
        int Contacted,
        int Timeouts,
        int? Hops,
        bool? Found,
        IReadOnlyList<string>? Closest,
        bool DeadlineExceeded,
        bool Truncated,
        IReadOnlyList<NodeRound>? Rounds);

    private sealed record NodeRound(int Round, DateTimeOffset SentAt, bool FinalStep, IReadOnlyList<NodeRequest>? Requests);

    private sealed record NodeRequest(string Id, string Outcome, double? Ms, int Returned, IReadOnlyList<string>? Closer);
}

/// <summary>A lookup as the node that ran it recorded it; <see cref="TraceUrl"/> opens its trace in the Aspire dashboard.</summary>
internal sealed record RecordedLookup(
    string Node,
    string Kind,
    DateTimeOffset StartedAt,
    double? DurationMs,
    string? TraceId,
    string? TraceUrl,
    int InitialContacts,
    int Contacted,
    int Timeouts,
    int? Hops,
    bool? Found,
    bool DeadlineExceeded,
    bool Truncated,
    IReadOnlyList<RecordedRound> Rounds,
    IReadOnlyList<LookupPeer> Closest);

/// <summary>One batch of requests the lookup sent at once, <see cref="AtMs"/> after it started.</summary>
internal sealed record RecordedRound(int Round, double AtMs, bool FinalStep, IReadOnlyList<RecordedRequest> Requests);

/// <summary>One request: whom, how it ended (answered, value, timeout, failed, unanswered), in how long, and what it brought closer.</summary>
internal sealed record RecordedRequest(LookupPeer Peer, string Outcome, double? Ms, int Returned, IReadOnlyList<LookupPeer> Closer);

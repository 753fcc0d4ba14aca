using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;

namespace Liaa.Node.Api;

/// <summary>
/// <c>GET /v1/lookups</c>: the node's latest lookups (<see cref="KademliaOptions.RecentLookups"/>), newest first,
/// each round by round: whom it asked, who answered and in how long, who timed out, what each answer brought
/// that was closer to the target than anything heard of before, and the trace id of the lookup's span.
/// <c>?target=KEY</c> (or <c>?target=HEX&amp;digest=true</c>) keeps the lookups of one key or id; <c>?limit=N</c>
/// the newest N.
/// </summary>
internal static class LookupApi
{
    public static IResult Get(LiaaNode node, string? target, bool? digest, int? limit)
    {
        NodeId? filter = null;
        if (target is not null)
        {
            if (!NodeApi.TryParseKey(target, digest == true, out var id, out var problem))
            {
                return problem;
            }

            filter = id;
        }

        var lookups = node.GetRecentLookups()
            .Where(l => filter is null || l.Target == filter)
            .Take(Math.Max(0, limit ?? int.MaxValue))
            .Select(Describe)
            .ToList();
        return Results.Json(new LookupsResponse(node.Id.ToString(), node.Options.Kademlia.RecentLookups, lookups), NodeApiJson.Default.LookupsResponse);
    }

    private static LookupResponse Describe(LookupRecording lookup) => new(
        Kind: lookup.Kind == LookupKind.FindValue ? "FIND_VALUE" : "FIND_NODE",
        Target: lookup.Target.ToString(),
        StartedAt: lookup.StartedAt,
        FinishedAt: lookup.FinishedAt,
        DurationMs: Milliseconds(lookup.StartedAt, lookup.FinishedAt),
        TraceId: lookup.TraceId?.ToHexString(),
        InitialContacts: lookup.InitialContacts,
        Contacted: lookup.Requests.Count,
        Timeouts: lookup.Requests.Count(r => r.Outcome == LookupRequestOutcome.TimedOut),
        Hops: lookup.Hops,
        Found: lookup.Kind == LookupKind.FindValue && lookup.FinishedAt is not null ? lookup.HasValue : null,
        Closest: [.. lookup.Closest.Select(id => id.ToString())],
        DeadlineExceeded: lookup.DeadlineExceeded,
        Truncated: lookup.Truncated,
        Rounds: [.. lookup.Requests.GroupBy(r => r.Round).Select(round => new LookupRoundResponse(
            Round: round.Key,
            SentAt: round.First().SentAt,
            FinalStep: round.First().IsFinalStep,
            Requests: [.. round.Select(r => new LookupRequestResponse(
                Id: r.Node.ToString(),
                Outcome: Outcome(r.Outcome),
                Ms: Milliseconds(r.SentAt, r.CompletedAt),
                Returned: r.Returned,
                Closer: [.. lookup.CloserOf(r).Select(id => id.ToString())]))]))]);

    private static string Outcome(LookupRequestOutcome outcome) => outcome switch
    {
        LookupRequestOutcome.Answered => "answered",
        LookupRequestOutcome.Value => "value",
        LookupRequestOutcome.TimedOut => "timeout",
        LookupRequestOutcome.Failed => "failed",
        _ => "unanswered",
    };

    private static double? Milliseconds(DateTimeOffset from, DateTimeOffset? to) =>
        to is { } end ? Math.Round((end - from).TotalMilliseconds, 1) : null;
}

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
            .Select(Describe);
        return Results.Json(new { self = node.Id.ToString(), capacity = node.Options.Kademlia.RecentLookups, lookups });
    }

    private static object Describe(LookupRecording lookup) => new
    {
        kind = lookup.Kind == LookupKind.FindValue ? "FIND_VALUE" : "FIND_NODE",
        target = lookup.Target.ToString(),
        startedAt = lookup.StartedAt,
        finishedAt = lookup.FinishedAt,
        durationMs = Milliseconds(lookup.StartedAt, lookup.FinishedAt),
        traceId = lookup.TraceId?.ToHexString(),
        initialContacts = lookup.InitialContacts,
        contacted = lookup.Requests.Count,
        timeouts = lookup.Requests.Count(r => r.Outcome == LookupRequestOutcome.TimedOut),
        hops = lookup.Hops,
        found = lookup.Kind == LookupKind.FindValue && lookup.FinishedAt is not null ? lookup.HasValue : (bool?)null,
        closest = lookup.Closest.Select(id => id.ToString()),
        deadlineExceeded = lookup.DeadlineExceeded,
        truncated = lookup.Truncated,
        rounds = lookup.Requests.GroupBy(r => r.Round).Select(round => new
        {
            round = round.Key,
            sentAt = round.First().SentAt,
            finalStep = round.First().IsFinalStep,
            requests = round.Select(r => new
            {
                id = r.Node.ToString(),
                outcome = Outcome(r.Outcome),
                ms = Milliseconds(r.SentAt, r.CompletedAt),
                returned = r.Returned,
                closer = lookup.CloserOf(r).Select(id => id.ToString()),
            }),
        }),
    };

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

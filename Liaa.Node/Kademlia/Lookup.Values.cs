
namespace Liaa.Node.Kademlia;

/// <summary>The FIND_VALUE side of the lookup: votes on values, the majority, and the §2.3 cache TTL.</summary>
internal sealed partial class Lookup
{
    /// <summary>A node answered a FIND_VALUE with the value (and, from a Liaa peer, its publication time).</summary>
    public void OnValue(Contact from, DhtValue value, DateTimeOffset? publishedAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(value);
        if (Kind != LookupKind.FindValue)
        {
            // A FIND_NODE answered with a value is a confused peer: its request stays in flight until it fails.
            _ignored++;
            return;
        }

        if (!TryComplete(from.Id, out var holder))
        {
            return;
        }

        _candidates[holder].HasValue = true;
        _firstValueAt ??= now;
        var vote = _votes.Find(v => v.Value.Equals(value));
        if (vote is null)
        {
            vote = new ValueVote(value);
            _votes.Add(vote);
        }

        vote.Holders.Add(_candidates[holder].Contact);
        if (publishedAt is { } published && (vote.NewestPublishedAt is null || published > vote.NewestPublishedAt))
        {
            vote.NewestPublishedAt = published;
        }
    }

    /// <summary>
    /// TTL of a value cached along a lookup's path (Kademlia §2.3): "exponentially inversely proportional
    /// to the number of nodes between the current node and the node whose ID is closest to the key", so
    /// caches far from the key vanish quickly and over-caching cannot pin stale copies across the network.
    /// </summary>
    /// <returns><paramref name="baseTtl"/> halved once per node between (at most 30 times), never below
    /// <paramref name="minimum"/> (default 1 minute) unless <paramref name="baseTtl"/> itself is shorter.</returns>
    /// <remarks>
    /// Pass as <paramref name="baseTtl"/> what is left of the value's own lifetime, so a cached copy never
    /// outlives the original, and <see cref="LookupResult.CacheCandidateNodesBetween"/> as <paramref name="nodesBetween"/>.
    /// </remarks>
    public static TimeSpan CacheTtl(TimeSpan baseTtl, int nodesBetween, TimeSpan? minimum = null)
    {
        if (baseTtl <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var ttl = TimeSpan.FromTicks(baseTtl.Ticks >> Math.Clamp(nodesBetween, 0, 30));
        var floor = minimum ?? TimeSpan.FromMinutes(1);
        return ttl < floor ? (floor < baseTtl ? floor : baseTtl) : ttl;
    }

    private ValueVote? Majority()
    {
        ValueVote? best = null;
        foreach (var vote in _votes)
        {
            if (best is null
                || vote.Holders.Count > best.Holders.Count
                || (vote.Holders.Count == best.Holders.Count && IsNewer(vote.NewestPublishedAt, best.NewestPublishedAt)))
            {
                best = vote;
            }
        }

        return best;

        static bool IsNewer(DateTimeOffset? a, DateTimeOffset? b) => a is { } x && (b is not { } y || x > y);
    }

    /// <summary>One distinct value and who returned it; votes are kept in first-seen order, which breaks the last ties.</summary>
    private sealed class ValueVote(DhtValue value)
    {
        public DhtValue Value { get; } = value;

        public List<Contact> Holders { get; } = [];

        public DateTimeOffset? NewestPublishedAt { get; set; }
    }
}

using Liaa.Node.Kademlia;

namespace Liaa.Node.Protocol;

/// <summary>
/// The nearest nodes the last few put lookups saw, by key (<see cref="Storage.StorageOptions.PutLookupReuse"/>): a put
/// of a key whose neighbourhood a lookup of a nearby key mapped a moment ago stores at the k nearest nodes that lookup
/// and the routing table know of, without a lookup of its own.
/// </summary>
/// <remarks>
/// <para>
/// When a recent lookup covers a key. A lookup of X that ended at convergence knows X's k nearest nodes, at
/// distances up to d_k, and saw more beyond them (its candidates are the 2k nearest it saw). For a key Y at
/// distance δ = X ⊕ Y from X, each of Y's k nearest nodes n has d(n, X) ≤ d(n, Y) + δ ≤ d_k + 2δ (XOR distances
/// obey the triangle inequality, and X's k nearest are all within d_k + δ of Y). So when δ is small against d_k,
/// Y's k nearest lie in the band just beyond X's k nearest that X's lookup saw. Liaa asks that Y share at least
/// three more leading bits with X than X's k-th nearest node does (δ &lt; d_k / 4, so the band is within 1.5 d_k)
/// and that X's candidates reach past the k-th nearest's subtree. This is the knowledge a lookup of Y would start
/// from and converge to a moment later; what it can miss is a node that joined within the moment (§2.5's hand-off
/// reaches it from its neighbours) or one of the band the earlier lookup was not told of; the simulation measures
/// how often (BENCHMARKS.md). A lookup that saw fewer than 2k nodes saw every node it could find (a small
/// network), so it covers every key.
/// </para>
/// <para>
/// Bounded (a ring of the last <c>capacity</c> lookups) and short-lived (an entry older than <c>maxAge</c> is never
/// used, so the nodes stored at are those of a lookup at most that old; a node that left in between costs one STORE
/// timeout and the STORE goes on to the next nearest). Only lookups are remembered, never a put that reused one.
/// The contacts are what a lookup saw (answered, or named in an answer); they never reach the routing table.
/// Thread-safe.
/// </para>
/// </remarks>
internal sealed class RecentNeighbourhoods
{
    // Bits beyond the k-th nearest's that a covered key shares with the looked-up one: 3 keeps the two keys within a
    // quarter of the k-th nearest's distance of each other (see the remarks).
    private const int Margin = 3;

    private readonly Lock _gate = new();
    private readonly Entry?[] _entries;
    private readonly int _k;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private int _next;

    public RecentNeighbourhoods(int capacity, int k, TimeSpan maxAge, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _entries = new Entry?[capacity];
        _k = k;
        _maxAge = maxAge;
        _time = time;
    }

    /// <summary>
    /// Remembers what a lookup of <paramref name="key"/> that ended at convergence saw: its candidates, nearest to the
    /// key first (at most 2k).
    /// </summary>
    public void Add(NodeId key, IReadOnlyList<Contact> nearest)
    {
        if (CoveredBits(key, nearest, _k) is not { } bits)
        {
            return;
        }

        var entry = new Entry(key, [.. nearest], bits, _time.GetTimestamp());
        lock (_gate)
        {
            _entries[_next] = entry;
            _next = (_next + 1) % _entries.Length;
        }
    }

    /// <summary>
    /// The nodes seen by a recent lookup that covers <paramref name="key"/> (see the remarks), or null when none does.
    /// Of several, the one whose key shares the most leading bits with <paramref name="key"/>.
    /// </summary>
    public Contact[]? Covering(NodeId key)
    {
        var now = _time.GetTimestamp();
        Contact[]? best = null;
        var bestShared = -1;
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                if (entry is null)
                {
                    continue;
                }

                var shared = (entry.Key ^ key).LeadingZeroCount();
                if (shared >= entry.CoveredBits && shared > bestShared && _time.GetElapsedTime(entry.At, now) <= _maxAge)
                {
                    bestShared = shared;
                    best = entry.Nearest;
                }
            }
        }

        return best;
    }

    /// <summary>
    /// How many leading bits a key must share with <paramref name="key"/> for <paramref name="nearest"/> (its lookup's
    /// candidates, nearest first) to hold that key's k nearest; 0 when they are all the lookup could find; null when
    /// they cover no other key.
    /// </summary>
    internal static int? CoveredBits(NodeId key, IReadOnlyList<Contact> nearest, int k)
    {
        if (nearest.Count == 0)
        {
            return null;
        }

        if (nearest.Count < 2 * k)
        {
            return 0;
        }

        // The list must reach past the k-th nearest's subtree, so it holds the band just beyond the k-th.
        var kth = (nearest[k - 1].Id ^ key).LeadingZeroCount();
        if ((nearest[^1].Id ^ key).LeadingZeroCount() >= kth)
        {
            return null;
        }

        return kth + Margin;
    }

    private sealed record Entry(NodeId Key, Contact[] Nearest, int CoveredBits, long At);
}

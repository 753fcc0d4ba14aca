namespace Liaa.Explorer;

/// <summary>
/// The rounds of an iterative node lookup (Kademlia §2.3) for a target id, started at one node and
/// played against the routing tables the nodes report now: each round asks the α closest nodes not yet
/// asked, each answers with the k closest contacts in its own table, and when a round finds nobody
/// closer the lookup asks every one of the k closest it has not asked yet, ending when all k closest
/// have been asked.
/// </summary>
/// <remarks>
/// This is a reconstruction from the tables, not a replay of a recorded lookup: a node's answer is
/// computed from its <c>/v1/routing-table</c>, and a contact outside the cluster or whose table could
/// not be read counts as a node that did not answer. The recorded lookups are in the Aspire dashboard's
/// traces.
/// </remarks>
internal static class LookupRounds
{
    /// <summary>A guard against tables that never converge (ids are only ever added, so it cannot loop, but cheap to bound).</summary>
    private const int MaxRounds = 40;

    /// <summary>Plays the lookup from <paramref name="start"/>, which never asks itself (contacts naming it are ignored).</summary>
    public static IReadOnlyList<LookupRound> Run(
        Id160 target,
        Id160 start,
        IReadOnlyList<Id160> startContacts,
        IReadOnlyDictionary<Id160, IReadOnlyList<Id160>> tables,
        Func<Id160, string?> nameOf,
        int k,
        int alpha)
    {
        var byDistance = Id160.ByDistanceFrom(target);
        var shortlist = new SortedSet<Id160>(startContacts.Where(id => id != start), byDistance);
        var asked = new HashSet<Id160>();
        var failed = new HashSet<Id160>();
        var rounds = new List<LookupRound>();
        Id160? closest = null;
        var improved = true;
        while (rounds.Count < MaxRounds)
        {
            var kClosest = shortlist.Where(id => !failed.Contains(id)).Take(k).ToList();
            var pending = kClosest.Where(id => !asked.Contains(id)).ToList();
            if (pending.Count == 0)
            {
                break;
            }

            var ask = improved ? pending.Take(alpha).ToList() : pending;
            var learned = new List<Id160>();
            foreach (var id in ask)
            {
                asked.Add(id);
                if (!tables.TryGetValue(id, out var table))
                {
                    failed.Add(id);
                    continue;
                }

                foreach (var contact in table.Order(byDistance).Take(k))
                {
                    if (contact != start && shortlist.Add(contact))
                    {
                        learned.Add(contact);
                    }
                }
            }

            var best = shortlist.Where(id => !failed.Contains(id)).Cast<Id160?>().FirstOrDefault();
            improved = best is { } b && (closest is not { } c || byDistance.Compare(b, c) < 0);
            if (improved)
            {
                closest = best;
            }

            rounds.Add(new LookupRound(
                rounds.Count + 1,
                [.. ask.Select(id => Describe(id, target, nameOf, failed.Contains(id)))],
                [.. learned.Select(id => Describe(id, target, nameOf, false))],
                closest is { } now ? Describe(now, target, nameOf, false) : null,
                improved));
        }

        return rounds;
    }

    private static LookupPeer Describe(Id160 id, Id160 target, Func<Id160, string?> nameOf, bool failed) =>
        new(nameOf(id), id.Hex, id.DistanceBits(target), failed);
}

/// <summary>One round: who was asked, who they named that the lookup had not seen, the closest so far.</summary>
internal sealed record LookupRound(int Round, IReadOnlyList<LookupPeer> Asked, IReadOnlyList<LookupPeer> Learned, LookupPeer? Closest, bool Improved);

/// <summary>A node in a lookup round: its name when it is in this cluster, its id, how far from the target in bits.</summary>
internal sealed record LookupPeer(string? Node, string Id, int DistanceBits, bool Failed);

using System.Buffers;
using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>The read side of the routing table: closest contacts, refresh, snapshots, hand-off.</summary>
internal sealed partial class RoutingTable
{
    /// <summary>
    /// The <paramref name="count"/> contacts closest to <paramref name="target"/> by XOR distance, nearest
    /// first, skipping those <paramref name="exclude"/> matches (called under the table's lock: keep it
    /// cheap and do not call back into the table) and, unless <paramref name="includeStale"/>, stale ones.
    /// </summary>
    /// <remarks>
    /// Exact, without sorting the table: XOR with the target maps each bucket's prefix range onto an aligned
    /// range of distances, and those ranges are disjoint. Walking the tree taking the child that matches the
    /// target's bit first therefore visits buckets in increasing distance, every contact of an earlier bucket
    /// being closer than any of a later one. Only the visited buckets (≤ k contacts each) are sorted, and the
    /// walk stops once <paramref name="count"/> contacts are collected.
    /// Answering another node's FIND_NODE, pass <c>includeStale: false</c> so dead contacts are not handed out.
    /// </remarks>
    public IReadOnlyList<Contact> FindClosest(NodeId target, int count, Func<Contact, bool>? exclude = null, bool includeStale = true) =>
        FindClosestCore(target, count, new Exclusion(exclude, null, null), includeStale);

    /// <summary>
    /// <see cref="FindClosest(NodeId, int, Func{Contact, bool}?, bool)"/> without the contact whose id is
    /// <paramref name="excludedId"/> and without any at <paramref name="excludedEndPoint"/> (an answer to a FIND_NODE:
    /// not the target itself, not the requester), with no delegate to allocate per call.
    /// </summary>
    public IReadOnlyList<Contact> FindClosestExcept(NodeId target, int count, NodeId excludedId, IPEndPoint excludedEndPoint, bool includeStale = true) =>
        FindClosestCore(target, count, new Exclusion(null, excludedId, excludedEndPoint), includeStale);

    private IReadOnlyList<Contact> FindClosestCore(NodeId target, int count, Exclusion exclude, bool includeStale)
    {
        if (count <= 0)
        {
            return [];
        }

        lock (_gate)
        {
            count = Math.Min(count, _count);
            if (count == 0)
            {
                return [];
            }

            var buffer = ArrayPool<Candidate>.Shared.Rent(count + _options.K);
            try
            {
                var search = new ClosestSearch(target, count, exclude, includeStale ? int.MaxValue : _options.FailuresBeforeEviction, buffer);
                search.Visit(_root, 0);
                var found = Math.Min(search.Length, count);
                var result = new Contact[found];
                for (var i = 0; i < found; i++)
                {
                    result[i] = buffer[i].Contact;
                }

                return result;
            }
            finally
            {
                Array.Clear(buffer, 0, Math.Min(buffer.Length, count + _options.K));
                ArrayPool<Candidate>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A lookup for <paramref name="target"/> ran: the bucket covering it is fresh (Kademlia §2.3).</summary>
    public void MarkLookup(NodeId target, DateTimeOffset now)
    {
        lock (_gate)
        {
            FindLeaf(target).Bucket!.LastLookup = now;
        }
    }

    /// <summary>
    /// One random id in the range of every bucket that has had no lookup within
    /// <see cref="KademliaOptions.BucketRefreshInterval"/> (or none at all), in id order. Looking them up
    /// refreshes those buckets (Kademlia §2.3); the lookups call <see cref="MarkLookup"/> themselves.
    /// </summary>
    public IReadOnlyList<NodeId> GetRefreshTargets(DateTimeOffset now, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        lock (_gate)
        {
            var targets = new List<NodeId>();
            foreach (var bucket in Leaves())
            {
                if (bucket.LastLookup is not { } last || now - last >= _options.BucketRefreshInterval)
                {
                    targets.Add(IdPrefix.Random(bucket.Low, bucket.Depth, random));
                }
            }

            return targets;
        }
    }

    /// <summary>
    /// One random id in the range of every bucket that does not cover the own id, in id order: the join's refresh of
    /// every bucket beyond the closest neighbour (§2.3). Draws from <paramref name="random"/> as many times, in the same
    /// order, as a walk over <see cref="GetBuckets"/> would, without copying the table.
    /// </summary>
    public List<NodeId> GetTargetsBeyondClosestNeighbour(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        lock (_gate)
        {
            var targets = new List<NodeId>(_bucketCount);
            foreach (var bucket in Leaves())
            {
                if (!bucket.Covers(Self))
                {
                    targets.Add(IdPrefix.Random(bucket.Low, bucket.Depth, random));
                }
            }

            return targets;
        }
    }

    /// <summary>The stale contacts (see <see cref="KademliaOptions.FailuresBeforeEviction"/>), buckets in id order, without copying the table.</summary>
    public Contact[] GetStaleContacts()
    {
        lock (_gate)
        {
            List<Contact>? stale = null;
            foreach (var bucket in Leaves())
            {
                foreach (var entry in bucket.Contacts)
                {
                    if (IsStale(entry))
                    {
                        (stale ??= []).Add(entry.Contact);
                    }
                }
            }

            return stale is null ? [] : [.. stale];
        }
    }

    /// <summary>A copy of every bucket, in id order.</summary>
    public IReadOnlyList<BucketSnapshot> GetBuckets()
    {
        lock (_gate)
        {
            var leaves = Leaves();
            var snapshots = new BucketSnapshot[leaves.Count];
            for (var i = 0; i < leaves.Count; i++)
            {
                var bucket = leaves[i];
                var contacts = new ContactSnapshot[bucket.Contacts.Count];
                for (var j = 0; j < contacts.Length; j++)
                {
                    var entry = bucket.Contacts[j];
                    contacts[j] = new ContactSnapshot(
                        entry.Contact, entry.LastSeen, entry.FailureCount, entry.FailureCount >= _options.FailuresBeforeEviction, entry.PendingEndPoint);
                }

                var replacements = new ContactSnapshot[bucket.Replacements.Count];
                for (var j = 0; j < replacements.Length; j++)
                {
                    replacements[j] = new ContactSnapshot(bucket.Replacements[j].Contact, bucket.Replacements[j].LastSeen, 0, false, null);
                }

                snapshots[i] = new BucketSnapshot(
                    bucket.Low, bucket.High, bucket.Depth, bucket.Covers(Self), contacts, replacements, bucket.LastLookup,
                    (double)contacts.Length / _options.K);
            }

            return snapshots;
        }
    }

    /// <summary>
    /// Whether this node should STORE <paramref name="key"/> at <paramref name="newcomer"/>, which it has
    /// just learnt of (Kademlia §2.5), judged against the k closest contacts this table knows; see
    /// <see cref="KeyHandOff.ShouldHandOff"/>.
    /// </summary>
    public bool ShouldHandOff(NodeId newcomer, NodeId key) =>
        KeyHandOff.ShouldHandOff(Self, newcomer, key, FindClosest(key, _options.K, c => c.Id == newcomer), _options.K);

    /// <summary>
    /// The keys among <paramref name="keys"/> that this node should STORE at <paramref name="newcomer"/>
    /// (<see cref="ShouldHandOff"/> for each), cheaply enough to scan a whole store per new node.
    /// </summary>
    /// <remarks>
    /// Most keys fail "no other node is closer to the key than this one", and that test is exact and O(1)
    /// per key: self is closer to a key than contact c exactly when bit hb(self ⊕ c) of self ⊕ key is 0
    /// (the two distances agree above that bit and differ at it). So self is the closest old node exactly
    /// when self ⊕ key has a 0 at each such position, and there are at most 160 of them, usually one per
    /// level of the own-id path. Only keys passing it pay for a <see cref="FindClosest"/>.
    /// </remarks>
    public IReadOnlyList<NodeId> SelectKeysToHandOff(NodeId newcomer, IEnumerable<NodeId> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var candidates = keys as IReadOnlyCollection<NodeId> ?? [.. keys];
        if (newcomer == Self || candidates.Count == 0)
        {
            return [];
        }

        int[] positions;
        lock (_gate)
        {
            var seen = new bool[NodeId.BitLength];
            foreach (var bucket in Leaves())
            {
                foreach (var entry in bucket.Contacts)
                {
                    if (entry.Contact.Id != newcomer)
                    {
                        seen[(Self ^ entry.Contact.Id).LeadingZeroCount()] = true;
                    }
                }
            }

            positions = [.. Enumerable.Range(0, NodeId.BitLength).Where(i => seen[i])];
        }

        var selected = new List<NodeId>();
        foreach (var key in candidates)
        {
            var distance = Self ^ key;
            var selfIsClosest = true;
            foreach (var position in positions)
            {
                if (distance.GetBit(position))
                {
                    selfIsClosest = false;
                    break;
                }
            }

            if (selfIsClosest && ShouldHandOff(newcomer, key))
            {
                selected.Add(key);
            }
        }

        return selected;
    }

    private readonly record struct Candidate(NodeId Distance, Contact Contact);

    /// <summary>The contacts a <see cref="FindClosestCore"/> leaves out: those the predicate matches, the id, the endpoint.</summary>
    private readonly record struct Exclusion(Func<Contact, bool>? Predicate, NodeId? Id, IPEndPoint? EndPoint)
    {
        // The port before the address (IPEndPoint.Equals compares the address first): most contacts differ in it, and
        // the address is one more object to read per contact of every bucket a FIND_NODE answer visits.
        public bool Excludes(Contact contact) =>
            (Id is { } id && contact.Id == id)
            || (EndPoint is { } endPoint && contact.EndPoint.Port == endPoint.Port && contact.EndPoint.Address.Equals(endPoint.Address))
            || (Predicate is not null && Predicate(contact));
    }

    /// <summary>State of one <see cref="FindClosest"/> walk.</summary>
    private ref struct ClosestSearch(NodeId target, int count, Exclusion exclude, int staleFailures, Candidate[] buffer)
    {
        private readonly NodeId _target = target;
        private readonly int _count = count;
        private readonly Exclusion _exclude = exclude;
        private readonly int _staleFailures = staleFailures;
        private readonly Candidate[] _buffer = buffer;

        public int Length { get; private set; }

        public void Visit(TreeNode node, int depth)
        {
            if (node.Bucket is { } bucket)
            {
                Take(bucket);
                return;
            }

            var (near, far) = _target.GetBit(depth) ? (node.One!, node.Zero!) : (node.Zero!, node.One!);
            Visit(near, depth + 1);
            if (Length < _count)
            {
                Visit(far, depth + 1);
            }
        }

        private void Take(KBucket bucket)
        {
            var start = Length;
            foreach (var entry in bucket.Contacts)
            {
                if (entry.FailureCount >= _staleFailures || _exclude.Excludes(entry.Contact))
                {
                    continue;
                }

                // Insertion sort of this bucket's segment only: at most k entries, all farther than the earlier segments.
                var candidate = new Candidate(entry.Contact.Id ^ _target, entry.Contact);
                var i = Length++;
                while (i > start && _buffer[i - 1].Distance > candidate.Distance)
                {
                    _buffer[i] = _buffer[i - 1];
                    i--;
                }

                _buffer[i] = candidate;
            }
        }
    }
}

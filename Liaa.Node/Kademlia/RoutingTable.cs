namespace Liaa.Node.Kademlia;

/// <summary>
/// A node's routing table: a binary tree of k-buckets whose leaves cover the 160-bit id space exactly
/// once (Kademlia §2.4), each bucket in least-recently-seen order (§2.2) with a replacement cache (§4.1).
/// </summary>
/// <remarks>
/// <para>
/// Splitting. A full bucket that must take a newcomer is split in two (depth d → d + 1) when its range
/// holds the node's own id (§2.4), or when d mod b ≠ 0 with b = <see cref="KademliaOptions.RelaxedSplitDepth"/>
/// (§4.2). Depth is the number of leading bits every id of the range shares (the root has depth 0). So a
/// subtree that leaves the own-id path at depth d is split down to the next multiple of b: 2^b − 1 buckets
/// per b bits of prefix. The §2.4 extra rule for highly unbalanced trees (keep every contact of the
/// smallest subtree around the own id that holds k nodes) is deliberately not applied: it has no bound
/// (crafted ids next to ours could grow the table without limit), and relaxed splitting already gives the
/// neighbourhood of the own id finer buckets.
/// </para>
/// <para>
/// No I/O and no eviction on its own. A full bucket answers <see cref="AddContactStatus.Full"/> with the
/// least-recently seen contact for the caller to ping; only <see cref="RecordFailure"/> evicts, after
/// <see cref="KademliaOptions.FailuresBeforeEviction"/> consecutive failures and only when a replacement
/// is waiting: otherwise the contact is merely flagged stale (§4.1) and the next newcomer takes its place.
/// </para>
/// <para>
/// Endpoints. A known id seen from a new endpoint does not move the contact while the old endpoint is
/// alive: a datagram with a forged source or a stale NAT mapping must not redirect traffic meant for a
/// live node. The new endpoint is remembered and the caller is asked to ping the old one; if the old one
/// becomes stale, the new endpoint replaces it. A stale contact seen at a new endpoint switches at once.
/// Endpoints are compared as given: the caller normalises IPv4-mapped IPv6 addresses.
/// </para>
/// <para>
/// Defences (see the Limits part): one id per endpoint, and per-network quotas per bucket and per table, so
/// neither a flood of ids from one address nor one party's block of addresses can fill the table.
/// </para>
/// <para>Thread-safe: every member takes one internal lock. Snapshots are copies.</para>
/// </remarks>
internal sealed partial class RoutingTable
{
    private readonly Lock _gate = new();
    private readonly KademliaOptions _options;
    private readonly ContactPool? _pool;
    private readonly TreeNode _root = new(new KBucket(NodeId.Zero, 0, null));
    private int _count;
    private int _replacementCount;
    private int _bucketCount = 1;

    /// <param name="self">The node's own id.</param>
    /// <param name="options">The Kademlia parameters.</param>
    /// <param name="pool">Where to keep the contacts this table holds when many tables share them (a simulation); null: its own.</param>
    public RoutingTable(NodeId self, KademliaOptions options, ContactPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        Self = self;
        _options = options;
        _pool = pool;
    }

    /// <summary>The node's own id.</summary>
    public NodeId Self { get; }

    /// <summary>The options in use; read on every call, so do not change them while the table is in use.</summary>
    public KademliaOptions Options => _options;

    /// <summary>Number of contacts in buckets (replacement candidates not included).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Number of replacement candidates over all buckets.</summary>
    public int ReplacementCount
    {
        get
        {
            lock (_gate)
            {
                return _replacementCount;
            }
        }
    }

    /// <summary>Number of buckets (leaves of the tree).</summary>
    public int BucketCount
    {
        get
        {
            lock (_gate)
            {
                return _bucketCount;
            }
        }
    }

    /// <summary>
    /// Records a well-formed message from <paramref name="contact"/> (request or response; the endpoint
    /// is the UDP source): the contact becomes the most recently seen of its bucket, is added, or waits
    /// in the replacement cache (see the type's remarks for the rules).
    /// </summary>
    public AddContactResult Observe(Contact contact, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contact);
        if (contact.Id == Self || !PeerEndPoint.IsUsable(contact.EndPoint))
        {
            return new AddContactResult(AddContactStatus.Rejected);
        }

        lock (_gate)
        {
            if (FindEntry(contact.Id, out var knownBucket) is { } known)
            {
                return ObserveKnown(knownBucket, known, contact, now);
            }

            // One endpoint is one node: a stale holder of the endpoint (a node restarted with a new id) gives way at once.
            if (_byEndPoint.TryGetValue(contact.EndPoint, out var holder) && IsStale(holder))
            {
                RemoveLocked(holder.Contact.Id);
            }

            while (true)
            {
                var leaf = FindLeaf(contact.Id);
                var bucket = leaf.Bucket!;
                if (bucket.Contacts.Count < _options.K)
                {
                    if (CheckAdmission(contact, bucket, leaving: null) is var refusal and not ContactRefusal.None)
                    {
                        return Refuse(contact, refusal);
                    }

                    RemoveReplacement(bucket, contact.Id);
                    InsertByLastSeen(bucket, new ContactEntry(Keep(contact), now));
                    return new AddContactResult(AddContactStatus.Added);
                }

                if (CanSplit(bucket))
                {
                    Split(leaf);
                    continue;
                }

                var stale = IndexOfStalest(bucket);
                if (stale >= 0)
                {
                    var replaced = bucket.Contacts[stale];
                    if (CheckAdmission(contact, bucket, replaced.Contact) is var refusal and not ContactRefusal.None)
                    {
                        return Refuse(contact, refusal);
                    }

                    RemoveFromBucket(bucket, replaced);
                    RemoveReplacement(bucket, contact.Id);
                    InsertByLastSeen(bucket, new ContactEntry(Keep(contact), now));
                    return new AddContactResult(AddContactStatus.Added, Replaced: replaced.Contact);
                }

                if (CheckReplacementAdmission(contact, bucket) is var cacheRefusal and not ContactRefusal.None)
                {
                    return Refuse(contact, cacheRefusal);
                }

                _replacementCount += bucket.AddReplacement(Keep(contact), now, _options.EffectiveReplacementCacheSize);
                var oldest = bucket.Contacts[0];
                var heardFromLately = now.UtcTicks - oldest.LastSeenTicks < _options.FullBucketPingAfter.Ticks;
                return new AddContactResult(AddContactStatus.Full, ContactToPing: heardFromLately ? null : oldest.Contact);
            }
        }
    }

    /// <summary>
    /// Records a failed request (a timeout) to <paramref name="id"/>. After
    /// <see cref="KademliaOptions.FailuresBeforeEviction"/> consecutive failures the contact is stale: its
    /// pending endpoint replaces it if the id has sent from another one, else the newest replacement
    /// candidate takes its slot, else it stays, flagged. A failed replacement candidate is dropped.
    /// </summary>
    public FailureResult RecordFailure(NodeId id, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (FindEntry(id, out var bucket) is not { } entry)
            {
                RemoveReplacement(bucket, id);
                return new FailureResult(FailureStatus.NotFound);
            }

            entry.FailureCount++;
            if (entry.FailureCount < _options.FailuresBeforeEviction)
            {
                return new FailureResult(FailureStatus.Counted, entry.FailureCount);
            }

            if (entry.PendingEndPoint is { } pending)
            {
                var moved = new ContactEntry(Keep(new Contact(id, pending)), entry.PendingSeen);
                entry.ClearPending();
                if (CheckAdmission(moved.Contact, bucket, entry.Contact) == ContactRefusal.None)
                {
                    RemoveFromBucket(bucket, entry);
                    InsertByLastSeen(bucket, moved);
                    return new FailureResult(FailureStatus.EndPointReplaced, Promoted: moved.Contact);
                }
            }

            if (TakeNewestAdmissibleReplacement(bucket, entry.Contact) is { } replacement)
            {
                RemoveFromBucket(bucket, entry);
                InsertByLastSeen(bucket, new ContactEntry(replacement.Contact, replacement.LastSeen));
                return new FailureResult(FailureStatus.Evicted, entry.FailureCount, IsStale: true, Promoted: replacement.Contact);
            }

            return new FailureResult(FailureStatus.Counted, entry.FailureCount, IsStale: true);
        }
    }

    /// <summary>The contact with this id, if it is in a bucket.</summary>
    public Contact? Get(NodeId id)
    {
        lock (_gate)
        {
            return FindEntry(id, out _)?.Contact;
        }
    }

    /// <summary>Whether the contact with this id is in a bucket and stale (see <see cref="KademliaOptions.FailuresBeforeEviction"/>).</summary>
    public bool IsStale(NodeId id)
    {
        lock (_gate)
        {
            return IsStaleLocked(id);
        }
    }

    /// <summary>
    /// Removes the id from its bucket (the newest replacement candidate takes the slot) or from the
    /// replacement cache. Returns whether it was found.
    /// </summary>
    public bool Remove(NodeId id)
    {
        lock (_gate)
        {
            return RemoveLocked(id);
        }
    }

    private bool RemoveLocked(NodeId id)
    {
        if (FindEntry(id, out var bucket) is not { } entry)
        {
            return RemoveReplacement(bucket, id);
        }

        RemoveFromBucket(bucket, entry);
        if (TakeNewestAdmissibleReplacement(bucket, leaving: null) is { } replacement)
        {
            InsertByLastSeen(bucket, new ContactEntry(replacement.Contact, replacement.LastSeen));
        }

        return true;
    }

    /// <summary>Every contact in a bucket, buckets in id order, each least-recently seen first.</summary>
    public IReadOnlyList<Contact> GetAll()
    {
        lock (_gate)
        {
            var all = new List<Contact>(_count);
            foreach (var bucket in Leaves())
            {
                foreach (var entry in bucket.Contacts)
                {
                    all.Add(entry.Contact);
                }
            }

            return all;
        }
    }

    private AddContactResult ObserveKnown(KBucket bucket, ContactEntry entry, Contact contact, DateTimeOffset now)
    {
        if (!entry.Contact.EndPoint.Equals(contact.EndPoint))
        {
            // The new endpoint must be one the contact could take: not another id's, not in a full network.
            if (CheckAdmission(contact, bucket, entry.Contact) is var refusal and not ContactRefusal.None)
            {
                return Refuse(contact, refusal);
            }

            if (entry.FailureCount < _options.FailuresBeforeEviction)
            {
                entry.SetPending(contact.EndPoint, now);
                return new AddContactResult(AddContactStatus.EndPointConflict, ContactToPing: entry.Contact);
            }

            Track(entry, -1);
            entry.Contact = Keep(contact);
            Track(entry, +1);
        }

        entry.LastSeen = now;
        entry.FailureCount = 0;
        entry.ClearPending();
        bucket.MoveToTail(bucket.Contacts.IndexOf(entry));
        return new AddContactResult(AddContactStatus.Updated);
    }

    private bool CanSplit(KBucket bucket) =>
        bucket.Depth < NodeId.BitLength
        && (bucket.Covers(Self) || bucket.Depth % _options.RelaxedSplitDepth != 0);

    private void Split(TreeNode leaf)
    {
        var (zero, one) = leaf.Bucket!.Split();
        leaf.Bucket = null;
        leaf.Zero = new TreeNode(zero);
        leaf.One = new TreeNode(one);
        _bucketCount++;

        // Nothing waits in the halves' replacement caches: a bucket's splittability never changes (it depends
        // on its range only), and only buckets that cannot split park candidates.
    }

    private int IndexOfStalest(KBucket bucket)
    {
        var stalest = -1;
        for (var i = 0; i < bucket.Contacts.Count; i++)
        {
            var failures = bucket.Contacts[i].FailureCount;
            if (failures >= _options.FailuresBeforeEviction && (stalest < 0 || failures > bucket.Contacts[stalest].FailureCount))
            {
                stalest = i;
            }
        }

        return stalest;
    }

    /// <summary>Adds the entry to the bucket and the index, keeping the bucket ordered by last-seen time.</summary>
    private void InsertByLastSeen(KBucket bucket, ContactEntry entry)
    {
        _count++;
        Track(entry, +1);
        var contacts = bucket.Contacts;
        if (contacts.Count == contacts.Capacity)
        {
            // Grow towards k and no further: a list's own doubling would leave 16 → 32 slots for k = 20.
            contacts.Capacity = Math.Max(contacts.Count + 1, Math.Min(_options.K, Math.Max(4, contacts.Capacity * 2)));
        }

        var index = contacts.Count;
        while (index > 0 && contacts[index - 1].LastSeenTicks > entry.LastSeenTicks)
        {
            index--;
        }

        contacts.Insert(index, entry);
    }

    /// <summary>Takes the entry out of its bucket and the indexes.</summary>
    private void RemoveFromBucket(KBucket bucket, ContactEntry entry)
    {
        bucket.Contacts.Remove(entry);
        _count--;
        Track(entry, -1);
    }

    /// <summary>The entry of <paramref name="id"/> if it is in a bucket, and the bucket whose range covers the id either way.</summary>
    /// <remarks>No index by id: the tree leads to the one bucket that can hold it, and a bucket holds at most k.</remarks>
    private ContactEntry? FindEntry(NodeId id, out KBucket bucket)
    {
        bucket = FindLeaf(id).Bucket!;
        var index = bucket.IndexOf(id);
        return index >= 0 ? bucket.Contacts[index] : null;
    }

    private bool IsStaleLocked(NodeId id) => FindEntry(id, out _) is { } entry && IsStale(entry);

    private bool IsStale(ContactEntry entry) => entry.FailureCount >= _options.FailuresBeforeEviction;

    /// <summary>The contact as this table keeps it: the pool's instance when tables share one.</summary>
    private Contact Keep(Contact contact) => _pool?.Intern(contact) ?? contact;

    /// <summary>Whether the table keeps a <see cref="ContactPool"/>'s contacts (a simulated node's).</summary>
    internal bool IsPooled => _pool is not null;

    private bool RemoveReplacement(KBucket bucket, NodeId id)
    {
        var index = bucket.IndexOfReplacement(id);
        if (index < 0)
        {
            return false;
        }

        bucket.Replacements.RemoveAt(index);
        _replacementCount--;
        return true;
    }

    private TreeNode FindLeaf(NodeId id)
    {
        var node = _root;
        var depth = 0;
        while (node.Bucket is null)
        {
            node = id.GetBit(depth++) ? node.One! : node.Zero!;
        }

        return node;
    }

    private List<KBucket> Leaves()
    {
        var leaves = new List<KBucket>(_bucketCount);
        Collect(_root);
        return leaves;

        void Collect(TreeNode node)
        {
            if (node.Bucket is { } bucket)
            {
                leaves.Add(bucket);
                return;
            }

            Collect(node.Zero!);
            Collect(node.One!);
        }
    }

    /// <summary>A node of the bucket tree: a leaf holds a bucket, an inner node two children split on the next bit.</summary>
    private sealed class TreeNode(KBucket bucket)
    {
        public KBucket? Bucket { get; set; } = bucket;

        public TreeNode? Zero { get; set; }

        public TreeNode? One { get; set; }
    }
}

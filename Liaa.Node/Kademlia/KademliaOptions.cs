namespace Liaa.Node.Kademlia;

/// <summary>
/// The Kademlia parameters of a node (configuration section <c>Liaa:Kademlia</c>). The defaults are
/// the paper's (k = 20, α = 3, b = 5, hourly refresh) except where a member says otherwise and why.
/// </summary>
public sealed class KademliaOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string SectionName = "Liaa:Kademlia";

    /// <summary>
    /// Bucket size and replication factor: a bucket holds at most k contacts, a lookup ends when the
    /// k closest nodes it has seen have answered, and a value is stored at the k closest nodes.
    /// </summary>
    /// <value>Default 20 (Kademlia §2.2). Contacts.</value>
    public int K { get; set; } = 20;

    /// <summary>Number of lookup requests kept in flight at once (Kademlia §2.3).</summary>
    /// <value>Default 3. Requests; at least 1 and at most <see cref="K"/>.</value>
    public int Alpha { get; set; } = 3;

    /// <summary>
    /// The b of Kademlia §4.2 (relaxed bucket splitting): besides the bucket holding the node's own id,
    /// a full bucket is also split while its depth is not a multiple of b. This gives 2^b − 1 buckets per
    /// b bits of id prefix and lookups of about log_(2^b) n hops. 1 turns the relaxation off (every depth
    /// is a multiple of 1), which gives the plain §2.4 table.
    /// </summary>
    /// <value>Default 5. Bits; 1 to 20.</value>
    public int RelaxedSplitDepth { get; set; } = 5;

    /// <summary>
    /// Capacity of each bucket's replacement cache (Kademlia §4.1): contacts seen while the bucket was
    /// full, most recently seen kept, waiting for a stale contact to be evicted. <c>null</c> means <see cref="K"/>.
    /// </summary>
    /// <value>Default <c>null</c> (= <see cref="K"/>, 20). Contacts; 0 disables the cache.</value>
    public int? ReplacementCacheSize { get; set; }

    /// <summary>
    /// Consecutive failed requests (timeouts) after which a contact is stale. A stale contact is replaced
    /// by the most recently seen entry of its bucket's replacement cache; when the cache is empty it is
    /// only flagged, so that a node whose own link goes down does not void its table (§4.1).
    /// </summary>
    /// <value>
    /// Default 3. Failures; at least 1. The paper says 5, together with an exponential back-off that Liaa
    /// does not do. Three keeps the point of the rule (a single lost datagram never evicts: a live contact
    /// is lost only if three requests in a row are, about 1 in 10^4 at 5% round-trip loss) while a dead
    /// contact, which costs every lookup that reaches it a whole RPC timeout and blocks the replacement
    /// waiting for its slot, is dropped after three timeouts instead of five.
    /// </value>
    public int FailuresBeforeEviction { get; set; } = 3;

    /// <summary>
    /// A full bucket's least-recently-seen contact heard from within this long is taken to be alive: a newcomer for that
    /// bucket waits in the replacement cache without a ping (as BitTorrent's DHT, BEP 5, keeps a bucket of "good" nodes,
    /// heard from within 15 minutes, without asking them). Zero pings it every time, Kademlia §2.2 to the letter.
    /// </summary>
    /// <remarks>
    /// In a growing simulated network those pings were a fifth of a join's requests at 20,000 nodes and grow faster than
    /// the rest (17, 31, 53 a join at 5,000, 10,000, 20,000 nodes): every joiner that talks to a node with a full bucket
    /// for it makes that node ping the bucket's oldest contact, which answers and moves to the tail.
    /// </remarks>
    /// <value>Default zero (always ping).</value>
    public TimeSpan FullBucketPingAfter { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Whether a refresh lookup (a random id in a bucket's range: on join, every bucket beyond the closest neighbour, and
    /// then every bucket without a lookup for <see cref="BucketRefreshInterval"/>) ends at convergence, as a put's lookup
    /// may (<see cref="Lookup.EndsAtConvergence"/>): once α answers in a row brought nothing closer, instead of asking
    /// the remaining k closest one by one. The lookup of the own id on join always runs to the end.
    /// </summary>
    /// <remarks>
    /// A refresh is there to fill a bucket with live contacts and to make this node known in that part of the id space;
    /// its answers do both by convergence (the nodes asked until then answered, and each learned of this node), and the
    /// rest of the full lookup is about 15 more requests a bucket that mostly confirm contacts already known. In a growing
    /// simulated network the refreshes were four fifths of a join's requests (about 13 buckets of about 23 requests each
    /// at 100,000 nodes); ending them at convergence leaves fewer contacts in the far buckets (see BENCHMARKS.md, bench sim).
    /// </remarks>
    /// <value>Default <see langword="false"/> (every refresh runs the whole lookup, Kademlia §2.3 to the letter).</value>
    public bool RefreshEndsAtConvergence { get; set; }

    /// <summary>A bucket with no lookup into its range for this long gets a refresh lookup (Kademlia §2.3).</summary>
    /// <value>Default 1 hour.</value>
    public TimeSpan BucketRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A lookup request unanswered for this long stops counting against <see cref="Alpha"/>: the lookup
    /// sends to the next candidate while still accepting the late answer until the RPC timeout. This keeps
    /// three silent nodes from stalling a lookup for a full timeout. <c>null</c> turns it off.
    /// </summary>
    /// <value>Default 1 second. Must be positive when set.</value>
    public TimeSpan? SlowRequestThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The final step of the paper's lookup (Kademlia §2.3): once a round of answers brings no node closer
    /// than the closest already seen (α answers or failures in a row without progress), the lookup asks all
    /// of the k closest it has not yet asked at once instead of α at a time. It asks the same nodes as
    /// without it, in fewer round trips one after another (a lookup whose k closest were known from the
    /// start takes two waits instead of k/α). <c>false</c> keeps α in flight to the end.
    /// </summary>
    /// <value>Default <c>true</c> (as in the paper).</value>
    public bool FinalStepAtOnce { get; set; } = true;

    /// <summary>
    /// A FIND_VALUE (a get) ends at its first value: the answers that arrived with it are counted (majority, then
    /// newest publication, as always), but the requests still in flight are not waited for; they finish in the
    /// background, still updating the routing table, and the value is still cached at the closest node that
    /// answered without it (§2.3). <c>false</c> waits for the requests in flight that are not slow, for more copies
    /// to vote with. Measured in <c>bench sim</c> (2,000 nodes, 80 ms median RTT): the wait was 81 ms of a 206 ms
    /// median get, 168 ms at the 90th percentile.
    /// </summary>
    /// <value>Default <c>true</c>.</value>
    public bool FindValueEndsAtFirstValue { get; set; } = true;

    /// <summary>
    /// Longest a lookup may run: past it the lookup stops sending, abandons what is in flight and returns what
    /// it has found so far, so no answer pattern (a hostile node feeding ever-new far contacts, a slow network)
    /// can keep a put, a get or a refresh going without end. <c>null</c> turns it off.
    /// </summary>
    /// <value>Default 1 minute (a healthy lookup takes a few round trips; one stalled by dead nodes, a few timeouts). Must be positive when set.</value>
    public TimeSpan? MaxLookupDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Most contacts one routing table holds from one /24 (IPv4) or /48 (IPv6) network, so one operator with a
    /// block of addresses cannot fill the table (an eclipse). Loopback addresses are exempt (local clusters).
    /// 0 turns the limit off.
    /// </summary>
    /// <value>Default 10 contacts.</value>
    public int MaxContactsPerSubnet { get; set; } = 10;

    /// <summary>As <see cref="MaxContactsPerSubnet"/>, for one k-bucket (and, separately, its replacement cache).</summary>
    /// <value>Default 2 contacts. 0 turns the limit off.</value>
    public int MaxContactsPerSubnetPerBucket { get; set; } = 2;

    /// <summary>
    /// How many of its latest lookups a node keeps, round by round (whom it asked, who answered or timed out, what
    /// came back closer), for <c>GET /v1/lookups</c> and the DHT explorer. 0 records nothing.
    /// </summary>
    /// <value>Default 32 lookups; 0 to 1024.</value>
    public int RecentLookups { get; set; } = 32;

    /// <summary>The replacement cache capacity in effect.</summary>
    public int EffectiveReplacementCacheSize => ReplacementCacheSize ?? K;

    /// <summary>Every problem with these options, each naming its configuration key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (K < 1)
        {
            problems.Add($"{SectionName}:{nameof(K)} must be at least 1 (is {K}).");
        }

        if (Alpha < 1)
        {
            problems.Add($"{SectionName}:{nameof(Alpha)} must be at least 1 (is {Alpha}).");
        }
        else if (Alpha > K)
        {
            problems.Add($"{SectionName}:{nameof(Alpha)} must not exceed {nameof(K)} (is {Alpha}, K is {K}).");
        }

        if (RelaxedSplitDepth is < 1 or > 20)
        {
            problems.Add($"{SectionName}:{nameof(RelaxedSplitDepth)} must be between 1 and 20 (is {RelaxedSplitDepth}).");
        }

        if (ReplacementCacheSize is < 0)
        {
            problems.Add($"{SectionName}:{nameof(ReplacementCacheSize)} must not be negative (is {ReplacementCacheSize}).");
        }

        if (FullBucketPingAfter < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(FullBucketPingAfter)} must not be negative (is {FullBucketPingAfter}).");
        }

        if (FailuresBeforeEviction < 1)
        {
            problems.Add($"{SectionName}:{nameof(FailuresBeforeEviction)} must be at least 1 (is {FailuresBeforeEviction}).");
        }

        if (BucketRefreshInterval <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(BucketRefreshInterval)} must be positive (is {BucketRefreshInterval}).");
        }

        if (SlowRequestThreshold is { } slow && slow <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(SlowRequestThreshold)} must be positive when set (is {slow}).");
        }

        if (MaxLookupDuration is { } maxLookup && maxLookup <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(MaxLookupDuration)} must be positive when set (is {maxLookup}).");
        }

        if (RecentLookups is < 0 or > 1024)
        {
            problems.Add($"{SectionName}:{nameof(RecentLookups)} must be between 0 and 1024 (is {RecentLookups}).");
        }

        if (MaxContactsPerSubnet < 0)
        {
            problems.Add($"{SectionName}:{nameof(MaxContactsPerSubnet)} must not be negative (is {MaxContactsPerSubnet}).");
        }

        if (MaxContactsPerSubnetPerBucket < 0)
        {
            problems.Add($"{SectionName}:{nameof(MaxContactsPerSubnetPerBucket)} must not be negative (is {MaxContactsPerSubnetPerBucket}).");
        }

        return problems;
    }

    /// <summary>Throws when <see cref="Validate"/> finds a problem, listing all of them.</summary>
    internal void ThrowIfInvalid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Kademlia options: " + string.Join(" ", problems));
        }
    }
}

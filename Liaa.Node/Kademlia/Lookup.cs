using System.Buffers;

namespace Liaa.Node.Kademlia;

/// <summary>
/// The iterative node lookup of Kademlia §2.3 as a state machine without I/O or clock: the driver calls
/// <see cref="Next"/>, sends what it is told, and reports each answer (<see cref="OnResponse"/>,
/// <see cref="OnValue"/>) or failure (<see cref="OnFailure"/>), passing the time each time.
/// </summary>
/// <remarks>
/// <para>
/// Parallelism. α requests are kept in flight at all times, not in lock-step rounds: as soon as one is
/// answered or fails, <see cref="Next"/> sends the closest candidate not yet asked, so a silent node only
/// holds its own slot. A request unanswered for <see cref="KademliaOptions.SlowRequestThreshold"/> also
/// frees its slot (its late answer is still used); <see cref="LookupStep.WakeAt"/> says when to look again.
/// Only candidates among the k closest that have not failed are ever asked.
/// </para>
/// <para>
/// Final step (§2.3, <see cref="KademliaOptions.FinalStepAtOnce"/>). Once α answers or failures in a row
/// have brought no node closer than the closest already seen, the lookup has converged: it then asks every
/// one of the k closest not yet asked at once (never more than k in flight), and keeps doing so for any closer
/// node those answers name. Only requests sent since the closest was found count toward the α (the paper's
/// "round" is the requests sent knowing it): an answer to a request sent before says nothing of the closest's
/// neighbourhood, and counting such late answers let a put's lookup end far from its key.
/// </para>
/// <para>
/// Termination. FIND_NODE, and FIND_VALUE until a value arrives, end when the k closest candidates that
/// have not failed have all answered (so nothing closer is left to ask). FIND_VALUE stops sending at the
/// first value and ends (<see cref="KademliaOptions.FindValueEndsAtFirstValue"/>), or waits for the requests
/// in flight that are not slow (they may carry more copies) and then ends.
/// </para>
/// <para>
/// Values. When holders disagree the value returned by most holders wins (as the Python peers decide);
/// a tie goes to the newest publication time a Liaa holder reported (a value with none counts as oldest),
/// then to the value seen first. The result also names the outvoted holders, so the caller can repair them.
/// </para>
/// <para>
/// Candidates are deduplicated by id (the first endpoint heard of is kept); the node's own id and unusable
/// endpoints (<see cref="PeerEndPoint"/>) are never candidates; a node whose id is the target is a normal
/// one. A failed node is never in the result. Not thread-safe: one driver owns a lookup.
/// </para>
/// </remarks>
internal sealed partial class Lookup
{
    // A lookup hears of some 8·k distinct nodes (20 answers of k contacts, most of them repeats): sized for that at
    // once instead of growing there by doubling, which was a twentieth of everything a simulated network allocated.
    private const int ExpectedCandidatesPerK = 8;

    // The candidates' arrays of finished lookups, for the next ones (Release): an object per candidate heard of and
    // an array per lookup were a seventh of what bench sim allocated. Enough for the lookups a busy process runs at once.
    private static readonly ArrayPool<Candidate> CandidateArrays = ArrayPool<Candidate>.Create(maxArrayLength: 1 << 16, maxArraysPerBucket: 64);

    private readonly KademliaOptions _options;

    // Nearest to the target first, the first _count of the array. An id's distance to the target is its own (XOR is
    // one-to-one), so a candidate is found by binary search on it: no index by id (a dictionary per lookup was a tenth
    // of bench sim's allocations). Entries are structs, changed in place through refs.
    private Candidate[] _candidates;
    private int _count;
    private readonly List<ValueVote> _votes = [];
    // Each closer node found, in order (the first at the start): its count is what a request remembers when it is sent.
    private readonly List<LookupProgress> _progress = [];
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _finishedAt;
    private DateTimeOffset? _firstValueAt;
    private int _nodesContacted;
    private int _timeouts;
    private int _ignored;
    private int _answersWithoutProgress;
    private bool _converged;

    public Lookup(LookupKind kind, NodeId self, NodeId target, IEnumerable<Contact> initialContacts, KademliaOptions options)
    {
        ArgumentNullException.ThrowIfNull(initialContacts);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        Kind = kind;
        Self = self;
        Target = target;
        _options = options;
        _candidates = CandidateArrays.Rent(ExpectedCandidatesPerK * options.K);
        foreach (var contact in initialContacts)
        {
            AddCandidate(contact, depth: 1);
        }
    }

    public LookupKind Kind { get; }

    /// <summary>
    /// A FIND_NODE that ends at convergence instead of asking the remaining k closest (a put's lookup, whose STOREs
    /// are then the final step). Once <see cref="KademliaOptions.Alpha"/> answers or failures in a row have brought
    /// no node closer than the closest already seen (the moment the final step would start), <see cref="Next"/>
    /// answers Finished at once, without waiting for the requests in flight, and <see cref="LookupResult.Candidates"/>
    /// lists the nearest nodes seen that have not failed, asked or not. Set before the first <see cref="Next"/>;
    /// ignored by FIND_VALUE.
    /// </summary>
    public bool EndsAtConvergence { get; init; }

    public NodeId Self { get; }

    public NodeId Target { get; }

    public bool IsFinished => _finishedAt is not null;

    /// <summary>Whether a FIND_VALUE has received a value (it sends nothing more).</summary>
    public bool HasValue => _votes.Count > 0;

    /// <summary>Whether the lookup has converged and asks all the remaining k closest at once (§2.3's final step).</summary>
    public bool IsFinalStep => _converged && _options.FinalStepAtOnce;

    /// <summary>Requests sent and not yet answered or failed, slow ones included.</summary>
    public int InFlightCount { get; private set; }

    /// <summary>
    /// What to do now: requests to send (each contact is then in flight until answered or failed), wait,
    /// or finished. Call it after every answer, failure and wake-up.
    /// </summary>
    public LookupStep Next(DateTimeOffset now)
    {
        if (IsFinished)
        {
            return LookupStep.Finished;
        }

        if (_startedAt is null)
        {
            _startedAt = now;
            if (ClosestAlive() is var closest and >= 0)
            {
                _progress.Add(new LookupProgress(now, _candidates[closest].Distance, 0));
            }
        }

        var active = CountActive(now, out var wakeAt);
        if (_converged && EndsAtConvergence && Kind == LookupKind.FindNode)
        {
            return Finish(now);
        }

        if (HasValue)
        {
            return active == 0 || _options.FindValueEndsAtFirstValue ? Finish(now) : LookupStep.Wait(wakeAt);
        }

        List<Contact>? send = null;
        var allAnswered = true;
        var rank = 0;
        for (var i = 0; i < _count; i++)
        {
            ref var candidate = ref _candidates[i];
            if (candidate.State == CandidateState.Failed)
            {
                continue;
            }

            if (rank++ == _options.K)
            {
                break;
            }

            if (candidate.State == CandidateState.Answered)
            {
                continue;
            }

            allAnswered = false;
            if (candidate.State == CandidateState.NotQueried && active < (IsFinalStep ? _options.K : _options.Alpha))
            {
                candidate.State = CandidateState.InFlight;
                candidate.SentAt = now;
                candidate.ClosestFoundWhenSent = _progress.Count;
                active++;
                InFlightCount++;
                _nodesContacted++;
                (send ??= []).Add(candidate.Contact);
                if (_options.SlowRequestThreshold is { } slow && (wakeAt is null || now + slow < wakeAt))
                {
                    wakeAt = now + slow;
                }
            }
        }

        if (send is not null)
        {
            return LookupStep.Send(send, wakeAt);
        }

        return allAnswered ? Finish(now) : LookupStep.Wait(wakeAt);
    }

    /// <summary>A node answered with contacts (FIND_NODE, or FIND_VALUE without the value).</summary>
    public void OnResponse(NodeId from, IReadOnlyList<Contact> contacts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        if (!TryComplete(from, out var responder))
        {
            return;
        }

        var depth = _candidates[responder].Depth + 1;
        var closestFoundWhenSent = _candidates[responder].ClosestFoundWhenSent;
        var before = ClosestAlive();
        var beforeDistance = before >= 0 ? _candidates[before].Distance : default;
        for (var i = 0; i < contacts.Count; i++)
        {
            AddCandidate(contacts[i], depth);
        }

        if (ClosestAlive() is var closest and >= 0 && (before < 0 || _candidates[closest].Distance < beforeDistance))
        {
            _progress.Add(new LookupProgress(now, _candidates[closest].Distance, _nodesContacted));
            _answersWithoutProgress = 0;
        }
        else
        {
            CountNoProgress(closestFoundWhenSent);
        }
    }

    /// <summary>A request failed (timed out or errored): the node is never used again nor reported.</summary>
    public void OnFailure(NodeId from, DateTimeOffset now)
    {
        var index = IndexOf(from);
        if (index < 0 || _candidates[index].State != CandidateState.InFlight)
        {
            _ignored++;
            return;
        }

        _candidates[index].State = CandidateState.Failed;
        InFlightCount--;
        _timeouts++;
        CountNoProgress(_candidates[index].ClosestFoundWhenSent);
    }

    /// <summary>What the lookup has found so far (final once <see cref="IsFinished"/>).</summary>
    public LookupResult GetResult()
    {
        var closest = new List<Contact>(_options.K);
        foreach (ref readonly var candidate in Candidates)
        {
            if (candidate.State == CandidateState.Answered)
            {
                closest.Add(candidate.Contact);
                if (closest.Count == _options.K)
                {
                    break;
                }
            }
        }

        var rounds = 0;
        foreach (ref readonly var candidate in Candidates)
        {
            if (candidate.State == CandidateState.Answered)
            {
                rounds = Math.Max(rounds, candidate.Depth);
            }
        }

        var winner = Majority();
        var others = new List<Contact>();
        foreach (var vote in _votes)
        {
            if (vote != winner)
            {
                others.AddRange(vote.Holders);
            }
        }

        Contact? cacheCandidate = null;
        var nodesBetween = 0;
        if (winner is not null)
        {
            var closer = 0;
            foreach (ref readonly var candidate in Candidates)
            {
                if (candidate.State == CandidateState.Answered && !candidate.HasValue)
                {
                    cacheCandidate = candidate.Contact;
                    nodesBetween = Math.Max(0, closer - 1);
                    break;
                }

                if (candidate.State != CandidateState.Failed)
                {
                    closer++;
                }
            }
        }

        return new LookupResult(
            Kind, Target, closest, winner?.Value, winner?.NewestPublishedAt, winner?.Holders.ToArray() ?? [], others, _votes.Count,
            cacheCandidate, nodesBetween, rounds, _nodesContacted, _timeouts, _ignored, _progress.ToArray(), _startedAt, _finishedAt)
        {
            Candidates = EndsAtConvergence ? AliveCandidates(2 * _options.K) : closest,
            FirstValueAt = _firstValueAt,
        };
    }

    /// <summary>The nearest candidates that have not failed, asked or not, at most <paramref name="count"/>.</summary>
    private List<Contact> AliveCandidates(int count)
    {
        var alive = new List<Contact>(count);
        foreach (ref readonly var candidate in Candidates)
        {
            if (candidate.State != CandidateState.Failed)
            {
                alive.Add(candidate.Contact);
                if (alive.Count == count)
                {
                    break;
                }
            }
        }

        return alive;
    }

    /// <summary>
    /// An answer or failure that brought nothing closer: α of them in a row, to requests sent since the closest was found
    /// (<paramref name="closestFoundWhenSent"/> is how many closer nodes had been found when the request was sent), are a
    /// round without progress, and the lookup has converged. An answer to an older request neither counts nor breaks the row.
    /// </summary>
    private void CountNoProgress(int closestFoundWhenSent)
    {
        if (closestFoundWhenSent != _progress.Count)
        {
            return;
        }

        if (++_answersWithoutProgress >= _options.Alpha)
        {
            _converged = true;
        }
    }

    private LookupStep Finish(DateTimeOffset now)
    {
        _finishedAt = now;
        return LookupStep.Finished;
    }

    /// <summary>Marks the in-flight candidate <paramref name="from"/> answered; its index, or false when it is not being waited on.</summary>
    private bool TryComplete(NodeId from, out int index)
    {
        index = IsFinished ? -1 : IndexOf(from);
        if (index < 0 || _candidates[index].State != CandidateState.InFlight)
        {
            _ignored++;
            index = -1;
            return false;
        }

        _candidates[index].State = CandidateState.Answered;
        InFlightCount--;
        return true;
    }

    /// <summary>Requests in flight that are not yet slow, and when the first of them turns slow.</summary>
    private int CountActive(DateTimeOffset now, out DateTimeOffset? wakeAt)
    {
        wakeAt = null;
        var active = 0;
        foreach (ref readonly var candidate in Candidates)
        {
            if (candidate.State != CandidateState.InFlight)
            {
                continue;
            }

            if (_options.SlowRequestThreshold is { } slow)
            {
                var slowAt = candidate.SentAt + slow;
                if (slowAt <= now)
                {
                    continue;
                }

                if (wakeAt is null || slowAt < wakeAt)
                {
                    wakeAt = slowAt;
                }
            }

            active++;
        }

        return active;
    }

    /// <summary>The index of the nearest candidate that has not failed, or -1.</summary>
    private int ClosestAlive()
    {
        for (var i = 0; i < _count; i++)
        {
            if (_candidates[i].State != CandidateState.Failed)
            {
                return i;
            }
        }

        return -1;
    }

    private void AddCandidate(Contact contact, int depth)
    {
        if (contact is null || contact.Id == Self)
        {
            return;
        }

        // Most contacts an answer lists are already candidates: the endpoint is checked only when it matters.
        var distance = contact.Id ^ Target;
        var index = NearestAtOrBeyond(distance);
        if (index < _count && _candidates[index].Distance == distance)
        {
            ref var known = ref _candidates[index];
            if (known.State == CandidateState.NotQueried && depth < known.Depth && PeerEndPoint.IsUsable(contact.EndPoint))
            {
                known.Depth = depth;
            }

            return;
        }

        if (!PeerEndPoint.IsUsable(contact.EndPoint))
        {
            return;
        }

        if (_count == _candidates.Length)
        {
            var larger = CandidateArrays.Rent(_count * 2);
            _candidates.AsSpan(0, _count).CopyTo(larger);
            ReturnCandidates();
            _candidates = larger;
        }

        _candidates.AsSpan(index, _count - index).CopyTo(_candidates.AsSpan(index + 1));
        _candidates[index] = new Candidate(contact, distance, depth);
        _count++;
    }

    /// <summary>
    /// Gives the candidates' array back for later lookups, once the driver has read <see cref="GetResult"/>: the lookup
    /// is not used again. Optional (without it the array is the garbage collector's).
    /// </summary>
    public void Release()
    {
        ReturnCandidates();
        _candidates = [];
        _count = 0;
        _finishedAt ??= DateTimeOffset.MinValue;
    }

    private void ReturnCandidates()
    {
        if (_candidates.Length > 0)
        {
            // Cleared (the part in use): a pooled array must not keep contacts alive.
            Array.Clear(_candidates, 0, _count);
            CandidateArrays.Return(_candidates);
        }
    }

    /// <summary>The candidates, nearest first.</summary>
    private ReadOnlySpan<Candidate> Candidates => _candidates.AsSpan(0, _count);

    /// <summary>The index of the candidate with id <paramref name="id"/>, or -1 if the lookup has none.</summary>
    private int IndexOf(NodeId id)
    {
        var distance = id ^ Target;
        var index = NearestAtOrBeyond(distance);
        return index < _count && _candidates[index].Distance == distance ? index : -1;
    }

    /// <summary>The index of the first candidate not nearer than <paramref name="distance"/> (the count if none).</summary>
    private int NearestAtOrBeyond(NodeId distance)
    {
        int low = 0, high = _count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_candidates[middle].Distance < distance)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private enum CandidateState : byte
    {
        NotQueried,
        InFlight,
        Answered,
        Failed,
    }

    private struct Candidate(Contact contact, NodeId distance, int depth)
    {
        public readonly Contact Contact = contact;

        public readonly NodeId Distance = distance;

        public DateTimeOffset SentAt;

        public int Depth = depth;

        // How many closer nodes the lookup had found (its progress entries) when this candidate was asked.
        public int ClosestFoundWhenSent;

        public CandidateState State;

        public bool HasValue;
    }
}

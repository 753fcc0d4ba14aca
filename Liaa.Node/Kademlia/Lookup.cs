using System.Diagnostics.CodeAnalysis;

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
/// node those answers name.
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
    private readonly KademliaOptions _options;
    // A lookup hears of some 8·k distinct nodes (20 answers of k contacts, most of them repeats): sized for that at
    // once instead of growing there by doubling, which was a twentieth of everything a simulated network allocated.
    private const int ExpectedCandidatesPerK = 8;

    // Nearest to the target first. An id's distance to the target is its own (XOR is one-to-one), so a candidate is
    // found by binary search on it: no index by id (a dictionary per lookup was a tenth of bench sim's allocations).
    private readonly List<Candidate> _candidates;
    private readonly List<ValueVote> _votes = [];
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
        _candidates = new(ExpectedCandidatesPerK * options.K);
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
            if (ClosestAlive() is { } closest)
            {
                _progress.Add(new LookupProgress(now, closest.Distance, 0));
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
        foreach (var candidate in _candidates)
        {
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

        var before = ClosestAlive()?.Distance;
        foreach (var contact in contacts)
        {
            AddCandidate(contact, responder.Depth + 1);
        }

        if (ClosestAlive() is { } closest && (before is null || closest.Distance < before.Value))
        {
            _progress.Add(new LookupProgress(now, closest.Distance, _nodesContacted));
            _answersWithoutProgress = 0;
        }
        else
        {
            CountNoProgress();
        }
    }

    /// <summary>A request failed (timed out or errored): the node is never used again nor reported.</summary>
    public void OnFailure(NodeId from, DateTimeOffset now)
    {
        if (!TryFind(from, out var candidate) || candidate.State != CandidateState.InFlight)
        {
            _ignored++;
            return;
        }

        candidate.State = CandidateState.Failed;
        InFlightCount--;
        _timeouts++;
        CountNoProgress();
    }

    /// <summary>What the lookup has found so far (final once <see cref="IsFinished"/>).</summary>
    public LookupResult GetResult()
    {
        var closest = new List<Contact>(_options.K);
        foreach (var candidate in _candidates)
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
        foreach (var candidate in _candidates)
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
            foreach (var candidate in _candidates)
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
        foreach (var candidate in _candidates)
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

    /// <summary>An answer or failure that brought nothing closer: α of them in a row are a round without progress, and the lookup has converged.</summary>
    private void CountNoProgress()
    {
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

    private bool TryComplete(NodeId from, out Candidate candidate)
    {
        if (IsFinished || !TryFind(from, out candidate!) || candidate.State != CandidateState.InFlight)
        {
            _ignored++;
            candidate = null!;
            return false;
        }

        candidate.State = CandidateState.Answered;
        InFlightCount--;
        return true;
    }

    /// <summary>Requests in flight that are not yet slow, and when the first of them turns slow.</summary>
    private int CountActive(DateTimeOffset now, out DateTimeOffset? wakeAt)
    {
        wakeAt = null;
        var active = 0;
        foreach (var candidate in _candidates)
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

    private Candidate? ClosestAlive()
    {
        foreach (var candidate in _candidates)
        {
            if (candidate.State != CandidateState.Failed)
            {
                return candidate;
            }
        }

        return null;
    }

    private void AddCandidate(Contact contact, int depth)
    {
        if (contact is null || contact.Id == Self || !PeerEndPoint.IsUsable(contact.EndPoint))
        {
            return;
        }

        var distance = contact.Id ^ Target;
        var index = NearestAtOrBeyond(distance);
        if (index < _candidates.Count && _candidates[index].Distance == distance)
        {
            var known = _candidates[index];
            if (known.State == CandidateState.NotQueried && depth < known.Depth)
            {
                known.Depth = depth;
            }

            return;
        }

        _candidates.Insert(index, new Candidate(contact, distance, depth));
    }

    /// <summary>The candidate with id <paramref name="id"/>, if the lookup has one.</summary>
    private bool TryFind(NodeId id, [NotNullWhen(true)] out Candidate? candidate)
    {
        var distance = id ^ Target;
        var index = NearestAtOrBeyond(distance);
        candidate = index < _candidates.Count && _candidates[index].Distance == distance ? _candidates[index] : null;
        return candidate is not null;
    }

    /// <summary>The index of the first candidate not nearer than <paramref name="distance"/> (the count if none).</summary>
    private int NearestAtOrBeyond(NodeId distance)
    {
        int low = 0, high = _candidates.Count;
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

    private enum CandidateState
    {
        NotQueried,
        InFlight,
        Answered,
        Failed,
    }

    private sealed class Candidate(Contact contact, NodeId distance, int depth)
    {
        public Contact Contact { get; } = contact;

        public NodeId Distance { get; } = distance;

        public int Depth { get; set; } = depth;

        public CandidateState State { get; set; }

        public DateTimeOffset SentAt { get; set; }

        public bool HasValue { get; set; }
    }
}

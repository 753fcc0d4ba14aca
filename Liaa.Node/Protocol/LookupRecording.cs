using System.Diagnostics;
using System.Runtime.InteropServices;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// One lookup as it ran, written by <see cref="LookupRunner"/> at its round boundaries and kept by
/// <see cref="LookupHistory"/> for the HTTP API (<c>GET /v1/lookups</c>) and the DHT explorer: whom each
/// round asked, who answered and when, who timed out, and which contacts each answer named that were
/// closer to the target than every node the lookup had heard of before it.
/// </summary>
/// <remarks>
/// <para>
/// A round is one batch the lookup state machine sent at once (<see cref="Lookup.Next"/> answering Send):
/// the first α, then one more for each answer or failure that freed a slot, and the final step's batch
/// (<see cref="Lookup.IsFinalStep"/>). Liaa keeps α in flight rather than waiting for whole rounds, so
/// these are the real batches, not the paper's lock-step rounds.
/// </para>
/// <para>
/// Cost. One recording, two lists and the closest ids per lookup (a few KB); a request is a struct appended
/// to a list, and an answer's closer contacts are ids appended to one shared list (nothing is allocated per
/// RPC beyond the lists' growth). Only ids are kept, never contacts or values. Bounded: at most <see cref="MaxRequests"/> requests and <see cref="MaxCloser"/>
/// closer ids per lookup, past which <see cref="Truncated"/> is set. Written by one driver; read only
/// after <see cref="Finish"/>, when it no longer changes.
/// </para>
/// </remarks>
internal sealed class LookupRecording
{
    /// <summary>Most requests kept for one lookup (a lookup of k = 20 asks a few dozen).</summary>
    public const int MaxRequests = 256;

    /// <summary>Most closer contact ids kept for one lookup.</summary>
    public const int MaxCloser = 512;

    private readonly List<LookupRequestRecord> _requests = new(8);
    private readonly List<NodeId> _closer = [];
    private readonly NodeId _self;
    private NodeId _closest;
    private bool _heardOfAny;

    public LookupRecording(NodeId self, LookupKind kind, NodeId target, DateTimeOffset startedAt, Activity? activity, IReadOnlyList<Contact> initialContacts)
    {
        _self = self;
        Kind = kind;
        Target = target;
        StartedAt = startedAt;
        TraceId = activity is { Recorded: true } ? activity.TraceId : null;
        InitialContacts = initialContacts.Count;
        for (var i = 0; i < initialContacts.Count; i++)
        {
            HeardOf(initialContacts[i].Id ^ target);
        }
    }

    public LookupKind Kind { get; }

    public NodeId Target { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The trace the lookup's span belongs to, when it was sampled (the Aspire dashboard has it).</summary>
    public ActivityTraceId? TraceId { get; }

    /// <summary>Contacts the lookup started from (the k closest in this node's routing table).</summary>
    public int InitialContacts { get; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>The ids of the k closest nodes the lookup ended with (empty until finished).</summary>
    public IReadOnlyList<NodeId> Closest { get; private set; } = [];

    /// <summary>The lookup's depth in hops (<see cref="LookupResult.Rounds"/>), once finished.</summary>
    public int? Hops { get; private set; }

    /// <summary>FIND_VALUE: whether a value was found, once finished.</summary>
    public bool HasValue { get; private set; }

    /// <summary>Whether <see cref="KademliaOptions.MaxLookupDuration"/> cut the lookup short.</summary>
    public bool DeadlineExceeded { get; private set; }

    /// <summary>Whether requests or closer ids past the bounds were left out.</summary>
    public bool Truncated { get; private set; }

    /// <summary>Number of rounds (batches sent).</summary>
    public int Rounds { get; private set; }

    /// <summary>Every request, in the order sent.</summary>
    public IReadOnlyList<LookupRequestRecord> Requests => _requests;

    /// <summary>The contacts of <paramref name="request"/>'s answer that were closer than anything heard of before.</summary>
    public IEnumerable<NodeId> CloserOf(LookupRequestRecord request) =>
        _closer.Skip(request.CloserStart).Take(request.CloserCount);

    /// <summary>The lookup sent <paramref name="contacts"/> as one batch.</summary>
    public void Sent(IReadOnlyList<Contact> contacts, bool isFinalStep, DateTimeOffset now)
    {
        Rounds++;
        for (var i = 0; i < contacts.Count; i++)
        {
            if (_requests.Count == MaxRequests)
            {
                Truncated = true;
                return;
            }

            _requests.Add(new LookupRequestRecord(Rounds, isFinalStep, contacts[i].Id, now));
        }
    }

    /// <summary>
    /// <paramref name="from"/>'s request ended after the lookup did (a put's lookup ending at convergence, a get at its
    /// first value, do not wait for the requests in flight): its outcome and time are noted, not the contacts it named,
    /// which the lookup never used (<see cref="LookupRequestRecord.CompletedAt"/> is then after <see cref="FinishedAt"/>).
    /// </summary>
    /// <remarks>
    /// The recording may already be in <see cref="LookupHistory"/>: only this request's own fields change, in place (no
    /// list grows), so a reader at the same moment sees it either still unanswered or ended.
    /// </remarks>
    public void CompletedLate(Contact from, RpcResult result, DateTimeOffset now)
    {
        if (result.Status is RpcStatus.Cancelled or RpcStatus.Stopped)
        {
            return; // abandoned (the lookup's deadline, the node stopping): it stays unanswered
        }

        var requests = CollectionsMarshal.AsSpan(_requests);
        for (var i = requests.Length - 1; i >= 0; i--)
        {
            ref var request = ref requests[i];
            if (request.Outcome == LookupRequestOutcome.Unanswered && request.Node == from.Id)
            {
                request.CompletedAt = now;
                request.Outcome = result.Status switch
                {
                    RpcStatus.Ok when result.Response is FindValueResponse { Value: not null } => LookupRequestOutcome.Value,
                    RpcStatus.Ok when result.Response is FindValueResponse or FindNodeResponse => LookupRequestOutcome.Answered,
                    RpcStatus.Timeout => LookupRequestOutcome.TimedOut,
                    _ => LookupRequestOutcome.Failed,
                };
                return;
            }
        }
    }

    /// <summary><paramref name="from"/>'s request ended with <paramref name="result"/> (an answer with contacts or the value, a timeout, a failure).</summary>
    public void Completed(Contact from, RpcResult result, DateTimeOffset now)
    {
        var (hasValue, contacts) = result.Response switch
        {
            FindValueResponse { Value: not null } => (true, null),
            FindValueResponse miss => (false, miss.Contacts),
            FindNodeResponse nodes => (false, nodes.Contacts),
            _ => (false, (IReadOnlyList<Contact>?)null),
        };
        var requests = CollectionsMarshal.AsSpan(_requests);
        for (var i = requests.Length - 1; i >= 0; i--)
        {
            ref var request = ref requests[i];
            if (request.Outcome != LookupRequestOutcome.Unanswered || request.Node != from.Id)
            {
                continue;
            }

            request.CompletedAt = now;
            request.Outcome = result.Status switch
            {
                RpcStatus.Ok when hasValue => LookupRequestOutcome.Value,
                RpcStatus.Ok when contacts is not null => LookupRequestOutcome.Answered,
                RpcStatus.Timeout => LookupRequestOutcome.TimedOut,
                _ => LookupRequestOutcome.Failed,
            };
            if (contacts is not null)
            {
                request.Returned = contacts.Count;
                request.CloserStart = _closer.Count;
                for (var c = 0; c < contacts.Count; c++)
                {
                    var contact = contacts[c];
                    var distance = contact.Id ^ Target;
                    if (contact.Id != _self && (!_heardOfAny || distance < _closest))
                    {
                        if (_closer.Count < MaxCloser)
                        {
                            _closer.Add(contact.Id);
                            request.CloserCount++;
                        }
                        else
                        {
                            Truncated = true;
                        }
                    }
                }

                // Closer than everything before this answer, not than each other: the first pass decides, then the best updates.
                for (var c = 0; c < contacts.Count; c++)
                {
                    if (contacts[c].Id != _self)
                    {
                        HeardOf(contacts[c].Id ^ Target);
                    }
                }
            }

            return;
        }
    }

    /// <summary>
    /// The lookup ended with <paramref name="result"/>; the recording no longer changes. It keeps what the API shows
    /// (not the result itself, which may hold a value of up to 8 KB).
    /// </summary>
    public void Finish(LookupResult result, DateTimeOffset now)
    {
        var closest = new NodeId[result.ClosestNodes.Count];
        for (var i = 0; i < closest.Length; i++)
        {
            closest[i] = result.ClosestNodes[i].Id;
        }

        Closest = closest;
        Hops = result.Rounds;
        HasValue = result.Value is not null;
        DeadlineExceeded = result.DeadlineExceeded;
        FinishedAt = now;
    }

    private void HeardOf(NodeId distance)
    {
        if (!_heardOfAny || distance < _closest)
        {
            _closest = distance;
            _heardOfAny = true;
        }
    }
}

/// <summary>How a recorded lookup request ended.</summary>
internal enum LookupRequestOutcome
{
    /// <summary>No answer before the lookup ended (it may still have come later).</summary>
    Unanswered,

    /// <summary>Answered with contacts.</summary>
    Answered,

    /// <summary>Answered with the value (FIND_VALUE).</summary>
    Value,

    /// <summary>No answer within the RPC timeout.</summary>
    TimedOut,

    /// <summary>Could not be sent, or the answer was unusable.</summary>
    Failed,
}

/// <summary>
/// One request of a recorded lookup: the id of the node asked (not its contact, so a recording keeps no
/// endpoint alive); <see cref="CloserStart"/> and <see cref="CloserCount"/> index the recording's closer ids.
/// </summary>
internal struct LookupRequestRecord(int round, bool isFinalStep, NodeId node, DateTimeOffset sentAt)
{
    public int Round { get; } = round;

    public bool IsFinalStep { get; } = isFinalStep;

    public NodeId Node { get; } = node;

    public DateTimeOffset SentAt { get; } = sentAt;

    public DateTimeOffset? CompletedAt { get; set; }

    public LookupRequestOutcome Outcome { get; set; }

    public int Returned { get; set; }

    public int CloserStart { get; set; }

    public int CloserCount { get; set; }
}

using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Running totals of one <see cref="RpcEndpoint"/>: drops by reason, calls by outcome, requests
/// served. Updated with <see cref="Interlocked"/> on the hot paths; read as a <see cref="Snapshot"/>.
/// </summary>
public sealed class RpcCounters
{
    private static readonly DropReason[] Reasons = Enum.GetValues<DropReason>();
    private static readonly int ReasonSlots = Reasons.Max(r => (int)r) + 1;

    private readonly long[] _drops = new long[ReasonSlots];
    private long _requestsReceived;
    private long _requestsServed;
    private long _requestsUnanswered;
    private long _handlerErrors;
    private long _callsSent;
    private long _callsOk;
    private long _timeouts;
    private long _callsCancelled;
    private long _callsStopped;
    private long _callsFailed;
    private long _sendErrors;
    private long _repliesTrimmed;

    /// <summary>Datagrams dropped so far for <paramref name="reason"/>.</summary>
    public long Dropped(DropReason reason) =>
        (uint)reason < (uint)_drops.Length ? Interlocked.Read(ref _drops[(int)reason]) : 0;

    public RpcCountersSnapshot Snapshot()
    {
        var drops = new Dictionary<DropReason, long>(Reasons.Length);
        foreach (var reason in Reasons)
        {
            drops[reason] = Dropped(reason);
        }

        return new RpcCountersSnapshot(
            drops,
            Interlocked.Read(ref _requestsReceived),
            Interlocked.Read(ref _requestsServed),
            Interlocked.Read(ref _requestsUnanswered),
            Interlocked.Read(ref _handlerErrors),
            Interlocked.Read(ref _callsSent),
            Interlocked.Read(ref _callsOk),
            Interlocked.Read(ref _timeouts),
            Interlocked.Read(ref _callsCancelled),
            Interlocked.Read(ref _callsStopped),
            Interlocked.Read(ref _callsFailed),
            Interlocked.Read(ref _sendErrors))
        {
            RepliesTrimmed = Interlocked.Read(ref _repliesTrimmed),
        };
    }

    internal void AddDrop(DropReason reason)
    {
        if ((uint)reason < (uint)_drops.Length)
        {
            Interlocked.Increment(ref _drops[(int)reason]);
        }
    }

    internal void AddRequestReceived() => Interlocked.Increment(ref _requestsReceived);

    internal void AddRequestServed() => Interlocked.Increment(ref _requestsServed);

    internal void AddRequestUnanswered() => Interlocked.Increment(ref _requestsUnanswered);

    internal void AddHandlerError() => Interlocked.Increment(ref _handlerErrors);

    internal void AddCallSent() => Interlocked.Increment(ref _callsSent);

    internal void AddSendError() => Interlocked.Increment(ref _sendErrors);

    internal void AddReplyTrimmed() => Interlocked.Increment(ref _repliesTrimmed);

    internal void AddCallCompleted(RpcStatus status)
    {
        switch (status)
        {
            case RpcStatus.Ok:
                Interlocked.Increment(ref _callsOk);
                break;
            case RpcStatus.Timeout:
                Interlocked.Increment(ref _timeouts);
                break;
            case RpcStatus.Cancelled:
                Interlocked.Increment(ref _callsCancelled);
                break;
            case RpcStatus.Stopped:
                Interlocked.Increment(ref _callsStopped);
                break;
            default:
                Interlocked.Increment(ref _callsFailed);
                break;
        }
    }
}

/// <summary>The counters of an <see cref="RpcEndpoint"/> at one moment.</summary>
/// <param name="Drops">Datagrams dropped, by reason (every reason present, zero when none).</param>
/// <param name="RequestsReceived">Well-formed requests accepted for serving (those refused for load are dropped as <see cref="DropReason.Overloaded"/>).</param>
/// <param name="RequestsServed">Requests answered (a response was sent).</param>
/// <param name="RequestsUnanswered">Requests whose handler chose not to reply.</param>
/// <param name="HandlerErrors">Requests whose handler threw (no reply was sent).</param>
/// <param name="CallsSent">Calls started by this endpoint.</param>
/// <param name="CallsOk">Calls that got their response.</param>
/// <param name="Timeouts">Calls that timed out.</param>
/// <param name="CallsCancelled">Calls cancelled by their caller.</param>
/// <param name="CallsStopped">Calls ended by the endpoint stopping.</param>
/// <param name="CallsFailed">Calls that ended with <see cref="RpcStatus.Error"/>.</param>
/// <param name="SendErrors">Datagrams (requests or responses) the transport failed to send.</param>
public sealed record RpcCountersSnapshot(
    IReadOnlyDictionary<DropReason, long> Drops,
    long RequestsReceived,
    long RequestsServed,
    long RequestsUnanswered,
    long HandlerErrors,
    long CallsSent,
    long CallsOk,
    long Timeouts,
    long CallsCancelled,
    long CallsStopped,
    long CallsFailed,
    long SendErrors)
{
    /// <summary>Replies whose contact list was cut to keep them within their bound (no amplification).</summary>
    public long RepliesTrimmed { get; init; }

    /// <summary>All dropped datagrams, whatever the reason.</summary>
    public long TotalDropped => Drops.Values.Sum();
}

using System.Net;
using System.Threading.Tasks.Sources;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// One outgoing call waiting for its response, and the source its caller awaits (no TaskCompletionSource, no Task).
/// Completed exactly once, by whichever comes first: the response, the timeout timer, the caller's cancellation, a
/// send failure or the endpoint stopping. Reused for call after call (<see cref="Rent"/>, <see cref="Return"/>).
/// </summary>
/// <remarks>
/// Reuse is safe through the generation: a completer that may outlive the call (the timer, the receive loop, the stop
/// sweep) takes the generation where it finds the call (under the lock of the deadline list or the pending table, which
/// the call leaves before it is recycled) and completes only that generation: once recycled the call is in a later one,
/// so a late timeout or response cannot end the call's next use. The state is the generation times two while pending,
/// plus one once completed. The cancellation registration needs no generation: it is disposed (waiting for a running
/// callback) before the call is recycled. Continuations run on the thread pool, so the receive loop never runs a
/// caller's code, unless the caller opted in (<see cref="RpcCallOptions.ContinuesOnCompletingThread"/>).
/// </remarks>
internal sealed class PendingCall : IValueTaskSource<RpcResult>
{
    // Ended calls kept for reuse, shared by the process's endpoints: a simulation's 100,000 endpoints must not each
    // keep their own. Beyond the bound an ended call is left to the GC.
    private const int MaxSpares = 1024;
    private static readonly Lock SparesGate = new();
    private static readonly Stack<PendingCall> Spares = new();

    private ManualResetValueTaskSourceCore<RpcResult> _core;
    private long _state;
    private long _startTimestamp;
    private TimeProvider _time = null!;

    public PendingCall()
    {
    }

    /// <summary>A call begun at once (tests).</summary>
    public PendingCall(MessageId id, IPEndPoint remote, RpcMethod method, bool sentExtended, TimeProvider time)
    {
        Begin(id, remote, method, sentExtended, time, continuesOnCompletingThread: false);
    }

    public MessageId Id { get; private set; }

    public IPEndPoint Remote { get; private set; } = null!;

    public RpcMethod Method { get; private set; }

    /// <summary>Whether the request went out in the extended form (the peer was believed to be Liaa).</summary>
    public bool SentExtended { get; private set; }

    /// <summary>The current use of this object; see the remarks.</summary>
    public long Generation => Volatile.Read(ref _state) >> 1;

    /// <summary>Whether the current use has ended.</summary>
    public bool IsCompleted => (Volatile.Read(ref _state) & 1) != 0;

    /// <summary>The outcome of the current use, for its caller to await once.</summary>
    public ValueTask<RpcResult> Result => new(this, _core.Version);

    /// <summary>When the call times out, in the clock's timestamps (<see cref="CallDeadlines"/>).</summary>
    public long Deadline { get; set; }

    /// <summary>The deadline list the call is in, and its neighbours there (written under <see cref="CallDeadlines"/>' lock).</summary>
    public CallDeadlines.CallList? Deadlines { get; set; }

    public PendingCall? Previous { get; set; }

    public PendingCall? Next { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>A spare call, or a new one; <see cref="Begin"/> it.</summary>
    public static PendingCall Rent()
    {
        lock (SparesGate)
        {
            if (Spares.TryPop(out var spare))
            {
                return spare;
            }
        }

        return new PendingCall();
    }

    /// <summary>Recycles an ended call (<see cref="Recycle"/>) and keeps it as a spare while there are few.</summary>
    public static void Return(PendingCall call)
    {
        call.Recycle();
        lock (SparesGate)
        {
            if (Spares.Count < MaxSpares)
            {
                Spares.Push(call);
            }
        }
    }

    /// <summary>Starts a use: a fresh object, or a recycled one (<see cref="Recycle"/>).</summary>
    public void Begin(MessageId id, IPEndPoint remote, RpcMethod method, bool sentExtended, TimeProvider time, bool continuesOnCompletingThread)
    {
        Id = id;
        Remote = remote;
        Method = method;
        SentExtended = sentExtended;
        _time = time;
        _core.RunContinuationsAsynchronously = !continuesOnCompletingThread;
        _startTimestamp = time.GetTimestamp();
    }

    /// <summary>
    /// Ends the current use, by its owner or by a completer that cannot outlive it (the cancellation registration);
    /// the elapsed time is taken now, so a manual clock gives exact figures.
    /// </summary>
    public bool TryComplete(RpcStatus status, RpcResponse? response = null, bool peerIsLiaa = false, int responseBytes = 0) =>
        TryComplete(Generation, status, response, peerIsLiaa, responseBytes);

    /// <summary>Ends use <paramref name="generation"/> if it is still the current one and pending.</summary>
    public bool TryComplete(long generation, RpcStatus status, RpcResponse? response = null, bool peerIsLiaa = false, int responseBytes = 0)
    {
        var pending = generation << 1;
        if (Interlocked.CompareExchange(ref _state, pending | 1, pending) != pending)
        {
            return false;
        }

        _core.SetResult(new RpcResult(status, response, _time.GetElapsedTime(_startTimestamp), peerIsLiaa, responseBytes));
        return true;
    }

    /// <summary>
    /// By the owner, once it has the result and the call has left the deadlines and the pending table: the next use is
    /// a new generation, so a completer still holding this one fails.
    /// </summary>
    public void Recycle()
    {
        _core.Reset();
        Registration = default;
        Remote = null!;
        _time = null!;

        // Completed (odd) to the next generation's pending (even).
        Interlocked.Increment(ref _state);
    }

    RpcResult IValueTaskSource<RpcResult>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<RpcResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<RpcResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

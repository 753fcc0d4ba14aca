using System.Net;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// One outgoing call waiting for its response. Completed exactly once, by whichever comes first: the
/// response, the timeout timer, the caller's cancellation, a send failure or the endpoint stopping.
/// Continuations run asynchronously so the receive loop never runs a caller's code.
/// </summary>
internal sealed class PendingCall(MessageId id, IPEndPoint remote, RpcMethod method, bool sentExtended, TimeProvider time)
    : TaskCompletionSource<RpcResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private readonly long _startTimestamp = time.GetTimestamp();

    public MessageId Id { get; } = id;

    public IPEndPoint Remote { get; } = remote;

    public RpcMethod Method { get; } = method;

    /// <summary>Whether the request went out in the extended form (the peer was believed to be Liaa).</summary>
    public bool SentExtended { get; } = sentExtended;

    /// <summary>When the call times out, in the clock's timestamps (<see cref="CallDeadlines"/>).</summary>
    public long Deadline { get; set; }

    /// <summary>The deadline list the call is in, and its neighbours there (written under <see cref="CallDeadlines"/>' lock).</summary>
    public CallDeadlines.CallList? Deadlines { get; set; }

    public PendingCall? Previous { get; set; }

    public PendingCall? Next { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Ends the call; the elapsed time is taken now, so a manual clock gives exact figures.</summary>
    public bool TryComplete(RpcStatus status, RpcResponse? response = null, bool peerIsLiaa = false, int responseBytes = 0) =>
        TrySetResult(new RpcResult(status, response, time.GetElapsedTime(_startTimestamp), peerIsLiaa, responseBytes));
}

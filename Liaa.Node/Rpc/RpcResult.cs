using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>How a call ended. Timeouts are ordinary on a DHT, so they are a status, not an exception.</summary>
public enum RpcStatus
{
    /// <summary>The peer answered from the address asked, with the right id and a well-formed response.</summary>
    Ok,

    /// <summary>No acceptable response within the timeout.</summary>
    Timeout,

    /// <summary>The endpoint was stopped before the response came (or before the call was made).</summary>
    Stopped,

    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,

    /// <summary>The request could not be sent (socket error, too many pending calls, unsendable request).</summary>
    Error,
}

/// <summary>The outcome of one call.</summary>
/// <param name="Status">How the call ended.</param>
/// <param name="Response">The decoded response when <see cref="Status"/> is <see cref="RpcStatus.Ok"/>.</param>
/// <param name="Elapsed">From sending to the end of the call, on the endpoint's <see cref="TimeProvider"/>.</param>
/// <param name="PeerIsLiaa">Whether the peer is known to be a Liaa node (it answered in the extended form).</param>
/// <param name="ResponseBytes">Size of the accepted response datagram; 0 without one.</param>
public readonly record struct RpcResult(RpcStatus Status, RpcResponse? Response, TimeSpan Elapsed, bool PeerIsLiaa, int ResponseBytes)
{
    public bool IsOk => Status == RpcStatus.Ok;
}

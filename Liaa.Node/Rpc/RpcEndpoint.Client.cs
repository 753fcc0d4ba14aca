using System.Diagnostics;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

// The client side: calls, the pending table and response matching.
public sealed partial class RpcEndpoint
{
    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="remote"/> and waits for its response, at most
    /// the timeout. Never throws for network outcomes: timeouts, cancellation, stopping and send
    /// failures are a <see cref="RpcStatus"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The endpoint was never started.</exception>
    public async Task<RpcResult> SendAsync(
        IPEndPoint remote,
        RpcRequest request,
        RpcCallOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(request);
        var timeout = options?.Timeout ?? _options.Timeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(options));
        var state = Volatile.Read(ref _state);
        if (state == Created)
        {
            throw new InvalidOperationException("Start the RPC endpoint before sending.");
        }

        var method = request.Method;
        if (state == Stopped)
        {
            return Finish(method, null, new RpcResult(RpcStatus.Stopped, null, TimeSpan.Zero, false, 0));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Finish(method, null, new RpcResult(RpcStatus.Cancelled, null, TimeSpan.Zero, false, 0));
        }

        // Responses come back from the address as the transport reports it, never IPv4-mapped.
        remote = IDatagramTransport.Normalize(remote);
        if (Interlocked.Increment(ref _pendingCount) > _options.MaxPendingCalls)
        {
            var pending = Interlocked.Decrement(ref _pendingCount);
            RpcLog.TooManyPendingCalls(_logger, method, remote, pending);
            return Finish(method, null, new RpcResult(RpcStatus.Error, null, TimeSpan.Zero, false, 0));
        }

        using var activity = RpcTelemetry.StartClient(method, remote, options?.PeerId);
        var call = Register(remote, method, _knownLiaaPeers.Contains(remote));
        RpcResult result;
        try
        {
            // StopAsync sets the state before sweeping the table: a call registered after the sweep sees it here.
            if (Volatile.Read(ref _state) != Running)
            {
                call.TryComplete(RpcStatus.Stopped);
            }
            else
            {
                // Armed before sending, so a manual clock measures the timeout from the send exactly.
                _deadlines.Add(call, timeout);
                if (cancellationToken.CanBeCanceled)
                {
                    call.Registration = cancellationToken.UnsafeRegister(static s => ((PendingCall)s!).TryComplete(RpcStatus.Cancelled), call);
                }

                // Cancellation that raced the registration has completed the call already: do not send.
                if (!call.Task.IsCompleted)
                {
                    await SendRequestAsync(call, request, activity, cancellationToken).ConfigureAwait(false);
                }
            }

            result = await call.Task.ConfigureAwait(false);
        }
        finally
        {
            _deadlines.Remove(call);
            call.Registration.Dispose();

            // Remembered before it leaves the table, so a late response is never mistaken for an unexpected one.
            _completedCalls.Add(call.Id);
            _pending.TryRemove(call.Id, out _);
            Interlocked.Decrement(ref _pendingCount);
        }

        if (result.Status == RpcStatus.Timeout && call.SentExtended)
        {
            _knownLiaaPeers.Remove(remote);
        }

        if (result is { Status: RpcStatus.Ok, Response: PingResponse answer })
        {
            _answeredPeers.Add(remote, answer.Responder);
        }

        if (result.Status != RpcStatus.Ok)
        {
            result = result with { PeerIsLiaa = _knownLiaaPeers.Contains(remote) };
        }

        // The span has the peer id from its start when the caller knew it; else a PING's responder names it.
        return Finish(method, activity, result, options?.PeerId is null ? (result.Response as PingResponse)?.Responder : null);
    }

    private PendingCall Register(IPEndPoint remote, RpcMethod method, bool extended)
    {
        while (true)
        {
            var id = MessageId.NewLiaa(_idFlags);
            var call = new PendingCall(id, remote, method, extended, _time);
            if (_pending.TryAdd(id, call))
            {
                return call;
            }
        }
    }

    private async ValueTask SendRequestAsync(PendingCall call, RpcRequest request, Activity? activity, CancellationToken cancellationToken)
    {
        using var writer = new PooledBufferWriter();
        try
        {
            // The extended form's header: the version, and the trace context of the span (no header object per request).
            if (call.SentExtended)
            {
                WireCodec.WriteRequest(writer, call.Id, request, LiaaHeader.Current, RpcTelemetry.RequestTrace(activity));
            }
            else
            {
                WireCodec.WriteRequest(writer, call.Id, request, header: null);
            }
        }
        catch (Exception ex)
        {
            RpcLog.EncodeFailed(_logger, call.Method, call.Remote, ex);
            call.TryComplete(RpcStatus.Error);
            return;
        }

        Counters.AddCallSent();
        try
        {
            await _transport.SendAsync(writer.WrittenMemory, call.Remote, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Cancellation has already completed the call through its registration; this is a no-op then.
            if (!cancellationToken.IsCancellationRequested)
            {
                Counters.AddSendError();
                RpcLog.RequestSendFailed(_logger, call.Method, call.Remote, ex);
            }

            call.TryComplete(RpcStatus.Error);
        }
    }

    private RpcResult Finish(RpcMethod method, Activity? activity, RpcResult result, NodeId? untaggedPeerId = null)
    {
        Counters.AddCallCompleted(result.Status);
        Observer?.OnClientCompleted(method, result.Status, result.Elapsed, result.ResponseBytes);
        RpcTelemetry.CompleteClient(activity, result, untaggedPeerId);
        return result;
    }

    // On the receive loop: accept a response only for a pending id, from the endpoint asked, decoding as the method asked.
    private void OnResponse(ReadOnlySpan<byte> body, in DatagramEnvelope envelope, IPEndPoint remote, int datagramLength)
    {
        if (!_pending.TryGetValue(envelope.Id, out var call))
        {
            Drop(_completedCalls.Contains(envelope.Id) ? DropReason.LateOrDuplicate : DropReason.UnexpectedResponse, remote);
            return;
        }

        if (!call.Remote.Equals(remote))
        {
            Drop(DropReason.WrongSource, remote);
            return;
        }

        if (call.Task.IsCompleted)
        {
            Drop(DropReason.LateOrDuplicate, remote);
            return;
        }

        if (!WireCodec.TryDecodePooledResponse(call.Method, body, envelope, ContactPool, out var response, out var reason))
        {
            // The call keeps waiting: a garbled copy must not end it, a good one may still come.
            Drop(reason, remote);
            return;
        }

        if (envelope.IsExtended)
        {
            _knownLiaaPeers.Add(call.Remote);
        }

        if (!call.TryComplete(RpcStatus.Ok, response, envelope.IsExtended, datagramLength))
        {
            Drop(DropReason.LateOrDuplicate, remote);
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    public Task<RpcResult> SendAsync(
        IPEndPoint remote,
        RpcRequest request,
        RpcCallOptions? options = null,
        CancellationToken cancellationToken = default) =>
        CallAsync(remote, request, options, cancellationToken).AsTask();

    /// <summary>
    /// <see cref="SendAsync"/> for a caller that awaits the call once and at once: nothing is allocated for the call
    /// itself (the awaited source is a pooled <see cref="PendingCall"/>, the state machine a pooled box).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<RpcResult> CallAsync(
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
        var call = Register(remote, method, _knownLiaaPeers.Contains(remote), options?.ContinuesOnCompletingThread ?? false);
        var sentExtended = call.SentExtended;
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
                if (!call.IsCompleted)
                {
                    var sending = SendRequest(call, request, activity, cancellationToken);
                    if (!sending.IsCompletedSuccessfully)
                    {
                        await sending.ConfigureAwait(false);
                    }
                }
            }

            result = await call.Result.ConfigureAwait(false);
        }
        finally
        {
            _deadlines.Remove(call);
            call.Registration.Dispose();

            // Remembered before it leaves the table, so a late response is never mistaken for an unexpected one.
            _completedCalls.Add(call.Id);
            Unregister(call);
            Interlocked.Decrement(ref _pendingCount);
        }

        if (result.Status == RpcStatus.Timeout && sentExtended)
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

    // A spare call (or a new one) under a fresh id, in the pending table.
    private PendingCall Register(IPEndPoint remote, RpcMethod method, bool extended, bool continuesOnCompletingThread)
    {
        var call = PendingCall.Rent();
        while (true)
        {
            var id = MessageId.NewLiaa(_idFlags);
            lock (_pendingGate)
            {
                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_pending, id, out var taken);
                if (taken)
                {
                    continue;
                }

                call.Begin(id, remote, method, extended, _time, continuesOnCompletingThread);
                slot = call;
                return call;
            }
        }
    }

    // Out of the table, then recycled: nothing that finds calls in the table (a response, the stop sweep) can find it
    // any more. A call has ended before its caller gets here, unless something threw first: it is ended here then, so
    // nothing that still holds it (the timer) can end its next use.
    private void Unregister(PendingCall call)
    {
        call.TryComplete(RpcStatus.Error);
        lock (_pendingGate)
        {
            _pending.Remove(call.Id);
        }

        PendingCall.Return(call);
    }

    // Encodes and sends the request; done when the send completed at once (UDP, in memory), so the call awaits nothing
    // else. A send or encoding failure ends the call.
    private ValueTask SendRequest(PendingCall call, RpcRequest request, Activity? activity, CancellationToken cancellationToken)
    {
        // The thread's writer: a request is encoded and, over UDP and in memory, sent before the call awaits.
        var writer = PooledBufferWriter.Take();
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
            PooledBufferWriter.Keep(writer);
            RpcLog.EncodeFailed(_logger, call.Method, call.Remote, ex);
            call.TryComplete(RpcStatus.Error);
            return default;
        }

        Counters.AddCallSent();
        ValueTask sending;
        try
        {
            sending = _transport.SendAsync(writer.WrittenMemory, call.Remote, cancellationToken);
        }
        catch (Exception ex)
        {
            PooledBufferWriter.Keep(writer);
            SendFailed(call, ex, cancellationToken);
            return default;
        }

        if (!sending.IsCompleted)
        {
            return AwaitSendAsync(sending, call, writer, cancellationToken);
        }

        try
        {
            sending.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            SendFailed(call, ex, cancellationToken);
        }
        finally
        {
            PooledBufferWriter.Keep(writer);
        }

        return default;
    }

    // A send still under way holds the writer's array till it is done.
    private async ValueTask AwaitSendAsync(ValueTask sending, PendingCall call, PooledBufferWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SendFailed(call, ex, cancellationToken);
        }
        finally
        {
            writer.Dispose();
        }
    }

    private void SendFailed(PendingCall call, Exception ex, CancellationToken cancellationToken)
    {
        // Cancellation has already completed the call through its registration; this is a no-op then.
        if (!cancellationToken.IsCancellationRequested)
        {
            Counters.AddSendError();
            RpcLog.RequestSendFailed(_logger, call.Method, call.Remote, ex);
        }

        call.TryComplete(RpcStatus.Error);
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
        // The use of the call this response is for, as it is in the table: it may end and be reused once out of the lock.
        PendingCall? call;
        long generation;
        IPEndPoint asked;
        RpcMethod method;
        bool completed;
        lock (_pendingGate)
        {
            if (_pending.TryGetValue(envelope.Id, out call))
            {
                (generation, asked, method, completed) = (call.Generation, call.Remote, call.Method, call.IsCompleted);
            }
            else
            {
                (generation, asked, method, completed) = (0, null!, default, false);
            }
        }

        if (call is null)
        {
            Drop(_completedCalls.Contains(envelope.Id) ? DropReason.LateOrDuplicate : DropReason.UnexpectedResponse, remote);
            return;
        }

        if (!asked.Equals(remote))
        {
            Drop(DropReason.WrongSource, remote);
            return;
        }

        if (completed)
        {
            Drop(DropReason.LateOrDuplicate, remote);
            return;
        }

        if (!WireCodec.TryDecodePooledResponse(method, body, envelope, ContactPool, out var response, out var reason))
        {
            // The call keeps waiting: a garbled copy must not end it, a good one may still come.
            Drop(reason, remote);
            return;
        }

        if (envelope.IsExtended)
        {
            _knownLiaaPeers.Add(asked);
        }

        if (!call.TryComplete(generation, RpcStatus.Ok, response, envelope.IsExtended, datagramLength))
        {
            Drop(DropReason.LateOrDuplicate, remote);
        }
    }
}

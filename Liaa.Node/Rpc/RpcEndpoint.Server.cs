using System.Diagnostics;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

// The server side: dispatching well-formed requests to the handler and sending its reply.
public sealed partial class RpcEndpoint
{
    // On the receive loop: decode, then hand over to the thread pool so the loop goes back to receiving.
    private void OnRequest(ReadOnlySpan<byte> body, in DatagramEnvelope envelope, IPEndPoint remote)
    {
        if (!WireCodec.TryDecodeRequest(body, envelope, out var request, out var reason) || request is null)
        {
            Drop(reason == DropReason.None ? DropReason.MalformedBody : reason, remote);
            return;
        }

        // Before anything is spent on it: a flood from one source costs a lookup and a counter.
        var limited = _rateLimiter.Admit(remote, request.Method);
        if (limited != DropReason.None)
        {
            Drop(limited, remote);
            return;
        }

        // A replay (or a network duplicate) of a request already taken is not served twice.
        if (!_recentRequests.TryAdd(remote, envelope.Id))
        {
            Drop(DropReason.DuplicateRequest, remote);
            return;
        }

        // Requests served on the receive thread and requests queued to the thread pool hold slots of their own:
        // a backlog of queued STOREs (a flood admitted within its source's burst, a thread pool slowed by a busy
        // machine) must not refuse another peer's PING, whose serving adds nothing to that backlog.
        var inline = _servesInline && (request.Method != RpcMethod.Store || ServesStoresInline);
        var held = inline ? Interlocked.Increment(ref _inlineRequests) : Interlocked.Increment(ref _queuedRequests);
        if (held > _options.MaxConcurrentRequests)
        {
            ReleaseSlot(inline);
            RpcLog.TooManyRequests(_logger, request.Method, remote, held - 1);
            Drop(DropReason.Overloaded, remote);
            return;
        }

        Interlocked.Increment(ref _activeRequests);
        Counters.AddRequestReceived();
        Observer?.OnServerRequest(request.Method);

        var context = new RpcRequestContext(remote, envelope.Id, envelope.Header) { RequestBytes = envelope.BodyOffset + body.Length };
        if (inline)
        {
            // On the receive thread, up to the handler's first await (none for these methods on a node, nor for
            // STORE without a data directory).
            _ = ServeAsync(request, context, inline: true);
            return;
        }

        // Unsafe: the loop's execution context carries nothing a handler should see.
        ThreadPool.UnsafeQueueUserWorkItem(
            static work => _ = work.Endpoint.ServeAsync(work.Request, work.Context, inline: false),
            new ServeWork(this, request, context),
            preferLocal: false);
    }

    private void ReleaseSlot(bool inline)
    {
        if (inline)
        {
            Interlocked.Decrement(ref _inlineRequests);
        }
        else
        {
            Interlocked.Decrement(ref _queuedRequests);
        }
    }

    private async Task ServeAsync(RpcRequest request, RpcRequestContext context, bool inline)
    {
        var method = request.Method;
        using var activity = RpcTelemetry.StartServer(request, context);
        try
        {
            RpcResponse? response;
            try
            {
                response = await _handler.HandleAsync(request, context, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                RpcTelemetry.CompleteServer(activity, "stopped", 0, failed: false);
                return;
            }
            catch (Exception ex)
            {
                Counters.AddHandlerError();
                RpcLog.HandlerFailed(_logger, method, context.Remote, ex);
                RpcTelemetry.CompleteServer(activity, "error", 0, failed: true);
                return;
            }

            if (response is null)
            {
                // Python peers stay silent when a handler cannot answer; the caller sees its timeout.
                Counters.AddRequestUnanswered();
                RpcTelemetry.CompleteServer(activity, "no_reply", 0, failed: false);
                return;
            }

            if (response.Method != method)
            {
                Counters.AddHandlerError();
                RpcLog.WrongResponseMethod(_logger, method, response.Method);
                RpcTelemetry.CompleteServer(activity, "error", 0, failed: true);
                return;
            }

            await ReplyAsync(response, context, activity).ConfigureAwait(false);
        }
        finally
        {
            ReleaseSlot(inline);
            if (Interlocked.Decrement(ref _activeRequests) == 0 && Volatile.Read(ref _state) == Stopped)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Answers a request whose handler returned without a reply (null) and decided to answer later, outside
    /// the serving slot: a value held back until its requester proved its address. Nothing once stopped.
    /// </summary>
    internal ValueTask SendLateReplyAsync(RpcResponse response, RpcRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(context.Remote);
        return Volatile.Read(ref _state) == Running ? ReplyAsync(response, context, activity: null) : ValueTask.CompletedTask;
    }

    private async ValueTask ReplyAsync(RpcResponse response, RpcRequestContext context, Activity? activity)
    {
        // The thread's writer, as for requests: a reply is encoded and, over UDP and in memory, sent before its thread
        // goes on (on the receive loop for the methods served there).
        var writer = PooledBufferWriter.Take();
        try
        {
            try
            {
                // A marked id means a Liaa requester: only it ever receives the extended form.
                var header = context.IsLiaaPeer ? LiaaHeader.Current : null;
                WireCodec.WriteResponse(writer, context.MessageId, response, header);
                if (_options.MaxReplyBytes(context.RequestBytes) is { } limit && writer.WrittenCount > limit && FitContacts(writer, response, context, header, limit))
                {
                    Counters.AddReplyTrimmed();
                    Observer?.OnReplyTrimmed(response.Method);
                }
            }
            catch (Exception ex)
            {
                Counters.AddHandlerError();
                RpcLog.EncodeFailed(_logger, response.Method, context.Remote, ex);
                RpcTelemetry.CompleteServer(activity, "error", 0, failed: true);
                return;
            }

            try
            {
                await _transport.SendAsync(writer.WrittenMemory, context.Remote, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Counters.AddSendError();
                RpcLog.ResponseSendFailed(_logger, response.Method, context.Remote, ex);
                RpcTelemetry.CompleteServer(activity, "error", writer.WrittenCount, failed: true);
                return;
            }

            Counters.AddRequestServed();
            RpcTelemetry.CompleteServer(activity, "ok", writer.WrittenCount, failed: false);
        }
        finally
        {
            // The send is over (done or failed): the array is free for this thread's next datagram.
            PooledBufferWriter.Keep(writer);
        }
    }

    /// <summary>
    /// Re-encodes a contact list cut to the most contacts (nearest first) that keep the reply within
    /// <paramref name="limit"/>. False when the response carries no contacts (its size is the handler's business).
    /// </summary>
    private static bool FitContacts(PooledBufferWriter writer, RpcResponse response, RpcRequestContext context, LiaaHeader? header, int limit)
    {
        var contacts = response switch
        {
            FindNodeResponse nodes => nodes.Contacts,
            FindValueResponse { Value: null } miss => miss.Contacts,
            _ => null,
        };
        if (contacts is not { Count: > 0 })
        {
            return false;
        }

        // Contacts differ in size (IPv4 or IPv6 text), so estimate from the average, then step down until it fits.
        var count = (int)((long)contacts.Count * limit / writer.WrittenCount);
        while (true)
        {
            IReadOnlyList<Contact> kept = [.. contacts.Take(count)];
            RpcResponse trimmed = response is FindNodeResponse ? new FindNodeResponse(kept) : FindValueResponse.Miss(kept);
            writer.Reset();
            WireCodec.WriteResponse(writer, context.MessageId, trimmed, header);
            if (writer.WrittenCount <= limit || count == 0)
            {
                return true;
            }

            count--;
        }
    }

    private readonly record struct ServeWork(RpcEndpoint Endpoint, RpcRequest Request, RpcRequestContext Context);
}

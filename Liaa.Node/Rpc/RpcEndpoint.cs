using System.Buffers;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Liaa.Node.Rpc;

/// <summary>
/// The rpcudp engine of one node: sends requests and matches their responses (client side), and
/// serves incoming requests through the <see cref="IRpcHandler"/> it is started with (server side), over one
/// <see cref="IDatagramTransport"/>. The handler comes at <see cref="Start"/>, not at construction, because a
/// node's handler uses the endpoint's client side (it pings a requester before a large reply).
/// </summary>
/// <remarks>
/// <para>
/// Wire behaviour follows WIRE.md, with two deliberate departures from Python's rpcudp that only make
/// Liaa stricter: a response counts only when it comes from the endpoint the request went to and
/// carries the pending id (Python matches by id alone), and late, duplicate, unexpected or malformed
/// datagrams are dropped and counted by <see cref="DropReason"/>, never answered.
/// </para>
/// <para>
/// Limits: requests and STOREs per source (<see cref="SourceRateLimiter"/>), a replayed request (the same id from
/// the same source within <see cref="RpcOptions.RecentRequestMemory"/> requests) dropped, requests served at once and
/// calls pending at once (<see cref="RpcOptions"/>), and no amplification: a contact list that would make a
/// reply larger than <see cref="RpcOptions.MaxReplyBytes"/> of its request is cut to fit.
/// </para>
/// <para>
/// Liaa peers (DESIGN.md, "carry more between Liaa nodes"): every request id is Liaa-marked, so a Liaa
/// responder answers in the extended form; a peer that did so is remembered (bounded) and later
/// requests to it use the extended form with the W3C trace context of the client span. Python peers
/// only ever see plain rpcudp datagrams. A timed-out extended request forgets the peer, so an endpoint
/// taken over by a non-Liaa node costs one timeout, not all of them.
/// </para>
/// <para>
/// Threading: one receive loop reads the transport with one reused buffer; responses are matched and
/// decoded on it (the caller's continuation runs on the thread pool, never on the loop, unless the caller is one of
/// this repository's that opted in, <see cref="RpcCallOptions.ContinuesOnCompletingThread"/>). Over a UDP
/// socket (<see cref="IBlockingDatagramSource"/>) the loop is a thread of its own blocking in the kernel,
/// and the requests whose handling is bounded and quick (PING, FIND_NODE, FIND_VALUE, STUN) are served
/// on it up to the handler's first await: no thread-pool hop between a datagram and its reply. STORE,
/// whose handler may wait for the disk, is served there too only when <see cref="ServesStoresInline"/> says
/// it never touches one (a node without a data directory); otherwise it, and everything on other
/// transports, is served on the thread pool, so a slow handler never holds up other requests or
/// responses. Over UDP on Linux the thread takes bursts of datagrams in one system call and its replies leave
/// together before it waits again (<see cref="MultiMessageSocket"/>). Calls' timeouts share one timer
/// (<see cref="CallDeadlines"/>). Nothing thrown by a handler, the codec or the transport ends the loop. The transport belongs
/// to the caller: stopping the endpoint does not dispose it.
/// </para>
/// <para>
/// Message ids come from the cryptographic generator (<see cref="MessageId.NewLiaa(LiaaIdFlags)"/>), never from
/// the node's seedable <see cref="Random"/>: they are all that binds a response to its request.
/// </para>
/// </remarks>
public sealed partial class RpcEndpoint : IAsyncDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Stopped = 2;

    // A transport failing this many times in a row is broken, not noisy.
    internal const int MaxConsecutiveReceiveFailures = 1000;

    private readonly IDatagramTransport _transport;
    private readonly RpcOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // The pending calls by id, under a short lock.
    private readonly Lock _pendingGate = new();
    private readonly Dictionary<MessageId, PendingCall> _pending = [];
    private readonly CallDeadlines _deadlines;
    private readonly KnownLiaaPeers _knownLiaaPeers;
    private readonly CompletedCallIds _completedCalls;
    private readonly RecentRequestIds _recentRequests;
    private readonly AnsweredPeers _answeredPeers;
    private readonly SourceRateLimiter _rateLimiter;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LiaaIdFlags _idFlags;
    private readonly bool _servesInline;
    private readonly Lock _lifecycleGate = new();
    private IRpcHandler _handler = null!;
    private Task? _receiveLoop;
    private Task? _stopTask;
    private int _state;
    private int _pendingCount;
    private int _activeRequests;
    private int _inlineRequests;
    private int _queuedRequests;

    public RpcEndpoint(
        IDatagramTransport transport,
        RpcOptions options,
        TimeProvider time,
        ILogger<RpcEndpoint>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _transport = transport;
        _options = options;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _knownLiaaPeers = new KnownLiaaPeers(options.KnownLiaaPeersCapacity);
        _completedCalls = new CompletedCallIds(options.CompletedCallMemory);
        _recentRequests = new RecentRequestIds(options.RecentRequestMemory);
        _answeredPeers = new AnsweredPeers(options.AnsweredPeersCapacity);
        _rateLimiter = new SourceRateLimiter(options, time);
        _deadlines = new CallDeadlines(time);
        _idFlags = options.ClientMode ? LiaaIdFlags.ClientMode : LiaaIdFlags.None;
        _servesInline = transport is IBlockingDatagramSource;
    }

    /// <summary>The endpoint the transport is bound to.</summary>
    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>Running totals: drops by reason, calls by outcome, requests served.</summary>
    public RpcCounters Counters { get; } = new();

    /// <summary>Optional metrics hooks; set before <see cref="Start"/>.</summary>
    public IRpcObserver? Observer { get; init; }

    /// <summary>
    /// Where the contacts listed in FIND_NODE and FIND_VALUE answers are taken from when already known (a simulation's
    /// pool shared by all its nodes, given in the node options); null, a real node's: each is decoded.
    /// </summary>
    public ContactPool? ContactPool { get; init; }

    /// <summary>
    /// Whether STOREs are served on the receive thread like PING and FIND_NODE (over UDP): only for a handler whose
    /// STORE neither writes nor waits for a disk before its first await (a node without a data directory). A put's
    /// STORE is then answered by the thread its datagram woke, one thread wake-up less per holder; with a value log
    /// the append and the flush stay on the thread pool.
    /// </summary>
    public bool ServesStoresInline { get; init; }

    /// <summary>Calls waiting for a response.</summary>
    public int PendingCallCount => Volatile.Read(ref _pendingCount);

    /// <summary>Requests being served.</summary>
    public int ActiveRequestCount => Volatile.Read(ref _activeRequests);

    /// <summary>
    /// Whether <paramref name="endPoint"/> answered in the extended form, i.e. is a Liaa node: only such
    /// a peer may be sent what Python peers cannot take (arrays, maps or nil as values, WIRE.md).
    /// </summary>
    public bool IsKnownLiaaPeer(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return _knownLiaaPeers.Contains(IDatagramTransport.Normalize(endPoint));
    }

    /// <summary>
    /// Whether datagrams still reach the node: false before <see cref="Start"/>, after a stop, and once the
    /// receive loop ended on its own (the socket was closed under it, or it failed too often in a row).
    /// </summary>
    public bool IsReceiving => Volatile.Read(ref _state) == Running && Volatile.Read(ref _receiveLoop) is { IsCompleted: false };

    /// <summary>Completes when the receive loop has ended, for whatever reason (tests await it).</summary>
    internal Task ReceiveCompletion => Volatile.Read(ref _receiveLoop) ?? Task.CompletedTask;

    /// <summary>
    /// Whether <paramref name="endPoint"/> answered one of this endpoint's pings as <paramref name="id"/> (bounded
    /// memory, <see cref="RpcOptions.AnsweredPeersCapacity"/>): it is a live address speaking for that id, not a
    /// forged source, so it may be sent more than <see cref="RpcOptions.MaxReplyBytes"/> of what it sent.
    /// </summary>
    public bool HasAnsweredAs(IPEndPoint endPoint, NodeId id)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return _answeredPeers.HasAnsweredAs(IDatagramTransport.Normalize(endPoint), id);
    }

    /// <summary>Starts the receive loop, serving requests with <paramref name="handler"/>. Once only.</summary>
    public void Start(IRpcHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_lifecycleGate)
        {
            if (_state != Created)
            {
                throw new InvalidOperationException("The RPC endpoint was already started or stopped.");
            }

            _handler = handler;

            // The loop must not inherit the caller's ambient span or other async-locals.
            if (_transport is IBlockingDatagramSource blocking)
            {
                blocking.GatheredSendFailed = GatheredSendFailed;
                var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _receiveLoop = ended.Task;
                var thread = new Thread(() => ReceiveThread(blocking, ended))
                {
                    IsBackground = true,
                    Name = "Liaa RPC receive",
                };
                thread.UnsafeStart();
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _receiveLoop = Task.Run(ReceiveLoopAsync);
                }
            }

            Volatile.Write(ref _state, Running);
        }

        RpcLog.Started(_logger, LocalEndPoint);
    }

    /// <summary>
    /// Stops receiving, ends every pending call with <see cref="RpcStatus.Stopped"/>, cancels the
    /// handlers' token and waits for the requests being served to finish. Idempotent: every caller
    /// gets the same task.
    /// </summary>
    public Task StopAsync()
    {
        lock (_lifecycleGate)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

    private async Task StopCoreAsync()
    {
        Interlocked.Exchange(ref _state, Stopped);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_receiveLoop is { IsCompleted: false } && _transport is IBlockingDatagramSource blocking)
        {
            blocking.WakeReceiver();
        }

        if (_receiveLoop is { } receiveLoop)
        {
            await receiveLoop.ConfigureAwait(false);
        }

        // Each call's use as it is in the table: one that ends and begins again meanwhile is a later use, left alone.
        (PendingCall Call, long Generation)[] pending;
        lock (_pendingGate)
        {
            pending = [.. _pending.Values.Select(call => (call, call.Generation))];
        }

        var ended = 0;
        foreach (var (call, generation) in pending)
        {
            if (call.TryComplete(generation, RpcStatus.Stopped))
            {
                ended++;
            }
        }

        // No request can be dispatched any more; wait for those in progress (their token is cancelled).
        if (Volatile.Read(ref _activeRequests) > 0)
        {
            await _drained.Task.ConfigureAwait(false);
        }

        RpcLog.Stopped(_logger, LocalEndPoint, ended);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _deadlines.Dispose();
        _stopping.Dispose();
    }

    private Task ReceiveLoopAsync() =>
        _transport is IQueuedDatagramSource queued ? ReadQueueLoopAsync(queued) : ReceiveIntoBufferLoopAsync();

    private async Task ReceiveIntoBufferLoopAsync()
    {
        var token = _stopping.Token;

        // Room for the largest UDP datagram and one byte more, so a longer (truncated) one shows as oversized.
        var buffer = ArrayPool<byte>.Shared.Rent(WireCodec.MaxDatagramSize + 1);
        var failures = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                ReceivedDatagram received;
                try
                {
                    received = await _transport.ReceiveAsync(buffer, token).ConfigureAwait(false);
                    failures = 0;
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (Exception ex)
                {
                    if (TransportBrokenAfter(ex, ref failures))
                    {
                        break;
                    }

                    continue;
                }

                Process(buffer.AsSpan(0, received.Length), received.Remote);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReceiveThread(IBlockingDatagramSource source, TaskCompletionSource ended)
    {
        var token = _stopping.Token;

        // Room for the largest UDP datagram and one byte more, so a longer (truncated) one shows as oversized.
        var buffer = new byte[WireCodec.MaxDatagramSize + 1];
        var failures = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                int length;
                IPEndPoint? remote;
                try
                {
                    length = source.Receive(buffer, out remote);
                    failures = 0;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (Exception ex)
                {
                    if (token.IsCancellationRequested || TransportBrokenAfter(ex, ref failures))
                    {
                        break;
                    }

                    continue;
                }

                if (remote is null || token.IsCancellationRequested)
                {
                    continue;
                }

                Process(buffer.AsSpan(0, length), remote);
            }
        }
        finally
        {
            try
            {
                source.EndReceiving();
            }
            catch (Exception ex)
            {
                RpcLog.ReceiveFailed(_logger, LocalEndPoint, ex);
            }

            ended.TrySetResult();
        }
    }

    /// <summary>
    /// Logs a receive that failed, one more of <paramref name="failures"/> in a row; true when they are
    /// <see cref="MaxConsecutiveReceiveFailures"/>: the transport is broken and the receive loop ends (logged).
    /// </summary>
    private bool TransportBrokenAfter(Exception ex, ref int failures)
    {
        RpcLog.ReceiveFailed(_logger, LocalEndPoint, ex);
        if (++failures < MaxConsecutiveReceiveFailures)
        {
            return false;
        }

        RpcLog.ReceiveLoopAbandoned(_logger, LocalEndPoint);
        return true;
    }

    private async Task ReadQueueLoopAsync(IQueuedDatagramSource source)
    {
        var token = _stopping.Token;
        try
        {
            while (await source.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (!token.IsCancellationRequested && source.TryRead(out var datagram, out var length, out var remote))
                {
                    try
                    {
                        Process(datagram.AsSpan(0, length), remote);
                    }
                    finally
                    {
                        source.ReturnBuffer(datagram);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private void Process(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        try
        {
            OnDatagram(datagram, remote);
        }
        catch (Exception ex)
        {
            // A bug in decoding or matching must cost one datagram, never the node.
            RpcLog.ProcessingFailed(_logger, remote, ex);
        }
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        if (datagram.Length > WireCodec.MaxDatagramSize)
        {
            Drop(DropReason.Oversized, remote);
            return;
        }

        if (!WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason))
        {
            Drop(reason, remote);
            return;
        }

        var body = datagram[envelope.BodyOffset..];
        if (envelope.Kind == DatagramKind.Response)
        {
            OnResponse(body, envelope, remote, datagram.Length);
        }
        else
        {
            OnRequest(body, envelope, remote);
        }
    }

    // A datagram the receive thread sent (a reply, mostly) that the kernel refused when the gathered sends left.
    private void GatheredSendFailed(Exception exception)
    {
        Counters.AddSendError();
        RpcLog.GatheredSendFailed(_logger, LocalEndPoint, exception);
    }

    private void Drop(DropReason reason, IPEndPoint remote)
    {
        Counters.AddDrop(reason);
        Observer?.OnDropped(reason);
        RpcLog.Dropped(_logger, remote, reason);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

public sealed class RpcEndpointLiaaPeerTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.1.0.1"), 8468);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.1.0.2"), 8468);
    private static readonly NodeId ServerId = NodeId.FromKey("liaa-peer-server");
    private static readonly NodeId ClientId = NodeId.FromKey("liaa-peer-client");

    [Fact]
    public async Task LiaaPeers_ExchangePlainFirstThenExtended_WithTheServerSpanAChildOfTheClientSpan()
    {
        using var spans = new SpanRecorder();
        await using var net = new RpcTestNetwork();
        var wire = new ConcurrentQueue<byte[]>();
        net.Network.Tap = (_, _, datagram) => wire.Enqueue(datagram.ToArray());
        var handler = new TestHandler(ServerId);
        net.AddEndpoint(ServerAddress, handler);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        using var root = new Activity("test-root").Start();
        var firstServerSpan = spans.WaitFor(a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem(RpcTelemetry.PeerIdTag), ClientId.ToString()));
        var first = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct).Bounded();
        var firstServer = await firstServerSpan;
        var secondServerSpan = spans.WaitFor(a => a.Kind == ActivityKind.Server && a.TraceId == root.TraceId);
        var second = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct).Bounded();
        var secondServer = await secondServerSpan;
        root.Stop();

        Assert.Equal([0x00, 0x03, 0x02, 0x03], wire.Select(d => d[0]));
        Assert.True(first.PeerIsLiaa);
        Assert.True(second.PeerIsLiaa);
        Assert.True(client.IsKnownLiaaPeer(ServerAddress));

        var clientSpans = spans.Stopped.Where(a => a.Kind == ActivityKind.Client && a.TraceId == root.TraceId).ToArray();
        Assert.Equal(2, clientSpans.Length);
        var secondClient = clientSpans[1];
        var contexts = handler.Received.Select(r => r.Context).ToArray();
        Assert.Null(contexts[0].Header);
        Assert.Equal(secondClient.Id, contexts[1].Header?.TraceParent);
        Assert.Equal(MessageId.LiaaProtocolVersion, contexts[1].Header?.Version);

        Assert.Equal(secondClient.SpanId, secondServer.ParentSpanId);
        Assert.Equal(root.TraceId, secondServer.TraceId);
        Assert.Equal(default, firstServer.ParentSpanId);
        Assert.NotEqual(root.TraceId, firstServer.TraceId);
    }

    [Fact]
    public async Task Spans_CarryTheRpcConventionTags_OnBothSides()
    {
        using var spans = new SpanRecorder();
        await using var net = new RpcTestNetwork();
        net.AddEndpoint(ServerAddress, new TestHandler(ServerId));
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));

        using var root = new Activity("test-root").Start();
        await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();
        var serverSpan = spans.WaitFor(a => a.Kind == ActivityKind.Server && a.TraceId == root.TraceId);
        var result = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();
        var server = await serverSpan;

        var clientSpan = spans.Stopped.Last(a => a.Kind == ActivityKind.Client && a.TraceId == root.TraceId);
        Assert.Equal("kademlia/PING", clientSpan.DisplayName);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["rpc.system"] = "kademlia",
                ["rpc.method"] = "PING",
                ["server.address"] = "10.1.0.1",
                ["server.port"] = 8468,
                ["network.transport"] = "udp",
                ["liaa.peer.id"] = ServerId.ToString(),
                ["liaa.rpc.outcome"] = "ok",
                ["liaa.rpc.response.size"] = result.ResponseBytes,
            },
            clientSpan.TagObjects.ToDictionary(t => t.Key, t => t.Value));
        Assert.Equal("kademlia/PING", server.DisplayName);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["rpc.system"] = "kademlia",
                ["rpc.method"] = "PING",
                ["client.address"] = "10.1.0.2",
                ["client.port"] = 8468,
                ["network.transport"] = "udp",
                ["liaa.peer.id"] = ClientId.ToString(),
                ["liaa.rpc.outcome"] = "ok",
                ["liaa.rpc.response.size"] = result.ResponseBytes,
            },
            server.TagObjects.ToDictionary(t => t.Key, t => t.Value));
    }

    [Fact]
    public async Task TimedOutExtendedRequest_ForgetsThePeer_SoTheNextRequestIsPlain()
    {
        using var spans = new SpanRecorder();
        await using var net = new RpcTestNetwork();
        var wire = new ConcurrentQueue<byte[]>();
        net.Network.Tap = (_, _, datagram) => wire.Enqueue(datagram.ToArray());
        var handler = new TestHandler(ServerId);
        net.AddEndpoint(ServerAddress, handler);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        using var root = new Activity("test-root").Start();
        await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct).Bounded();
        var declined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        handler.Override = (_, _, _) =>
        {
            declined.SetResult();
            return ValueTask.FromResult<RpcResponse?>(null);
        };
        var unansweredSpan = spans.WaitFor(a => a.Kind == ActivityKind.Server && a.TraceId == root.TraceId && Equals(a.GetTagItem(RpcTelemetry.OutcomeTag), "no_reply"));
        var silent = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        await declined.Task.Bounded();
        net.Time.Advance(TimeSpan.FromSeconds(5));
        var timedOut = await silent.Bounded();
        handler.Override = null;
        await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct).Bounded();

        Assert.Equal(RpcStatus.Timeout, timedOut.Status);
        Assert.False(timedOut.PeerIsLiaa);
        Assert.Equal([0x00, 0x03, 0x02, 0x00, 0x03], wire.Select(d => d[0]));
        var timeoutSpan = spans.Stopped.Where(a => a.Kind == ActivityKind.Client && a.TraceId == root.TraceId).ElementAt(1);
        Assert.Equal("timeout", timeoutSpan.GetTagItem(RpcTelemetry.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Error, timeoutSpan.Status);

        // No response, no size: neither the timed-out call's span nor the span of the request served without a reply.
        Assert.DoesNotContain(timeoutSpan.TagObjects, t => t.Key == RpcTelemetry.ResponseSizeTag);
        var unanswered = await unansweredSpan;
        Assert.Equal(timeoutSpan.SpanId, unanswered.ParentSpanId);
        Assert.DoesNotContain(unanswered.TagObjects, t => t.Key == RpcTelemetry.ResponseSizeTag);

        // The client span lasts what the call took on the endpoint's clock (the timeout here), as its metric says.
        Assert.True(timedOut.Elapsed >= TimeSpan.FromSeconds(5), $"elapsed {timedOut.Elapsed}");
        Assert.Equal(timedOut.Elapsed, timeoutSpan.Duration);
    }

    [Fact]
    public async Task FindValueHit_CarriesThePublicationTime_BetweenLiaaPeers()
    {
        await using var net = new RpcTestNetwork();
        var publishedAt = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var value = DhtValue.FromString("v");
        var handler = new TestHandler(ServerId)
        {
            Override = (_, _, _) => ValueTask.FromResult<RpcResponse?>(FindValueResponse.Hit(value, publishedAt)),
        };
        net.AddEndpoint(ServerAddress, handler);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var request = new FindValueRequest(ClientId, NodeId.FromKey("k"));

        var result = await client.SendAsync(ServerAddress, request, cancellationToken: TestContext.Current.CancellationToken).Bounded();

        var hit = Assert.IsType<FindValueResponse>(result.Response);
        Assert.Equal(value, hit.Value);
        Assert.Equal(publishedAt, hit.PublishedAt);
    }

    [Fact]
    public async Task ARequestThatCannotBeSent_IsLoggedInsideItsClientSpan()
    {
        using var spans = new SpanRecorder();
        await using var net = new RpcTestNetwork();
        var logger = new CurrentSpanLogger();
        await using var client = new RpcEndpoint(new UnsendableTransport(net.Bind(ClientAddress)), new RpcOptions(), net.Time, logger);
        client.Start(new TestHandler(ClientId));

        using var root = new Activity("test-root").Start();
        var result = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();
        root.Stop();

        // The record of the failed send carries the client span's ids (a logger provider reads them from Activity.Current).
        Assert.Equal(RpcStatus.Error, result.Status);
        var clientSpan = Assert.Single(spans.Stopped, a => a.Kind == ActivityKind.Client && a.TraceId == root.TraceId);
        Assert.Equal(root.SpanId, clientSpan.ParentSpanId);
        var record = Assert.Single(logger.Records, r => r.EventId == 2005);
        Assert.Same(clientSpan, record.Current);
    }

    /// <summary>A transport that refuses every datagram it is asked to send.</summary>
    private sealed class UnsendableTransport(IDatagramTransport inner) : IDatagramTransport
    {
        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken) =>
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.NetworkUnreachable);

        public ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Keeps each record's event id and the span current when it was written.</summary>
    private sealed class CurrentSpanLogger : Microsoft.Extensions.Logging.ILogger<RpcEndpoint>
    {
        public ConcurrentQueue<(int EventId, Activity? Current)> Records { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Records.Enqueue((eventId.Id, Activity.Current));
    }

    /// <summary>Listens to Liaa's activity source for one test; other tests' spans are filtered out by trace id.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Signal)> _waiters = [];
        private readonly Lock _gate = new();

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = OnStopped,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Stopped { get; } = new();

        public Task<Activity> WaitFor(Func<Activity, bool> match)
        {
            var signal = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _waiters.Add((match, signal));
            }

            return signal.Task.Bounded();
        }

        public void Dispose() => _listener.Dispose();

        private void OnStopped(Activity activity)
        {
            Stopped.Enqueue(activity);
            lock (_gate)
            {
                foreach (var waiter in _waiters.Where(w => w.Match(activity)).ToArray())
                {
                    _waiters.Remove(waiter);
                    waiter.Signal.TrySetResult(activity);
                }
            }
        }
    }
}

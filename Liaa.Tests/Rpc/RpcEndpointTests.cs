using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Tests.Rpc;

public sealed class RpcEndpointTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 8468);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.2"), 8468);
    private static readonly IPEndPoint OtherAddress = new(IPAddress.Parse("10.0.0.3"), 8468);
    private static readonly NodeId ServerId = NodeId.FromKey("server");
    private static readonly NodeId ClientId = NodeId.FromKey("client");

    [Fact]
    public async Task SendAsync_ReturnsTheResponse_WhenThePeerAnswersPing()
    {
        await using var net = new RpcTestNetwork();
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId));
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);

        var result = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();

        Assert.Equal(RpcStatus.Ok, result.Status);
        Assert.Equal(new PingResponse(ServerId), result.Response);
        Assert.Equal(TimeSpan.Zero, result.Elapsed);
        Assert.True(result.ResponseBytes > 1 + MessageId.Length + 22);
        Assert.Equal(0, client.PendingCallCount);
        Assert.Equal(1, client.Counters.Snapshot().CallsOk);
        Assert.Equal((RpcMethod.Ping, RpcStatus.Ok, TimeSpan.Zero, result.ResponseBytes), Assert.Single(observer.Completed));
        await server.StopAsync().Bounded();
        Assert.Equal(1, server.Counters.Snapshot().RequestsServed);
    }

    [Fact]
    public async Task SendAsync_RoundTripsEveryRpc_BetweenTwoEndpoints()
    {
        await using var net = new RpcTestNetwork();
        var contacts = new[] { new Contact(NodeId.FromKey("a"), new IPEndPoint(IPAddress.Parse("10.0.0.9"), 9000)) };
        net.AddEndpoint(ServerAddress, new TestHandler(ServerId) { Contacts = contacts });
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        var store = await client.SendAsync(ServerAddress, new StoreRequest(ClientId, NodeId.FromKey("k"), DhtValue.FromString("v")), cancellationToken: ct).Bounded();
        var findNode = await client.SendAsync(ServerAddress, new FindNodeRequest(ClientId, NodeId.FromKey("t")), cancellationToken: ct).Bounded();
        var findValue = await client.SendAsync(ServerAddress, new FindValueRequest(ClientId, NodeId.FromKey("k")), cancellationToken: ct).Bounded();
        var stun = await client.SendAsync(ServerAddress, new StunRequest(), cancellationToken: ct).Bounded();

        Assert.Equal(new StoreResponse(true), store.Response);
        Assert.Equal(contacts, Assert.IsType<FindNodeResponse>(findNode.Response).Contacts);
        Assert.Equal(contacts, Assert.IsType<FindValueResponse>(findValue.Response).Contacts);
        Assert.Equal(ClientAddress, Assert.IsType<StunResponse>(stun.Response).EndPoint);
    }

    [Fact]
    public async Task SendAsync_TimesOutAfterExactlyTheConfiguredTime_WhenNobodyAnswers()
    {
        await using var net = new RpcTestNetwork();
        var timeout = TimeSpan.FromSeconds(2);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), new RpcOptions { Timeout = timeout });

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken);
        net.Time.Advance(timeout - TimeSpan.FromTicks(1));
        Assert.False(call.IsCompleted);
        net.Time.Advance(TimeSpan.FromTicks(1));
        var result = await call.Bounded();

        Assert.Equal(RpcStatus.Timeout, result.Status);
        Assert.Null(result.Response);
        Assert.Equal(timeout, result.Elapsed);
        Assert.Equal(1, client.Counters.Snapshot().Timeouts);
        Assert.Equal(0, client.PendingCallCount);
    }

    [Fact]
    public async Task SendAsync_UsesThePerCallTimeout_WhenOneIsGiven()
    {
        await using var net = new RpcTestNetwork();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }, TestContext.Current.CancellationToken);
        net.Time.Advance(TimeSpan.FromMilliseconds(300));
        var result = await call.Bounded();

        Assert.Equal(RpcStatus.Timeout, result.Status);
        Assert.Equal(TimeSpan.FromMilliseconds(300), result.Elapsed);
    }

    [Fact]
    public async Task SendAsync_ReturnsCancelled_WhenTheTokenFires()
    {
        await using var net = new RpcTestNetwork();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: cts.Token);
        Assert.False(call.IsCompleted);
        await cts.CancelAsync();
        var result = await call.Bounded();

        Assert.Equal(RpcStatus.Cancelled, result.Status);
        Assert.Equal(0, client.PendingCallCount);
        Assert.Equal(1, client.Counters.Snapshot().CallsCancelled);
    }

    [Fact]
    public async Task StopAsync_EndsEveryPendingCallWithStopped_AndLaterCallsToo()
    {
        await using var net = new RpcTestNetwork();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var calls = Enumerable.Range(0, 3)
            .Select(_ => client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken))
            .ToArray();
        Assert.Equal(3, client.PendingCallCount);

        await client.StopAsync().Bounded();
        var results = await Task.WhenAll(calls).Bounded();
        var later = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.Equal(RpcStatus.Stopped, r.Status));
        Assert.Equal(RpcStatus.Stopped, later.Status);
        Assert.Equal(0, client.PendingCallCount);
        Assert.Equal(4, client.Counters.Snapshot().CallsStopped);
    }

    [Fact]
    public async Task SendAsync_Throws_WhenTheEndpointWasNeverStarted()
    {
        await using var net = new RpcTestNetwork();
        await using var endpoint = new RpcEndpoint(net.Bind(ClientAddress), new RpcOptions(), net.Time);

        await Assert.ThrowsAsync<InvalidOperationException>(() => endpoint.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SendAsync_ReturnsError_WhenMaxPendingCallsAreWaiting()
    {
        await using var net = new RpcTestNetwork();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), new RpcOptions { MaxPendingCalls = 1 });

        var first = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken);
        var second = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();

        Assert.Equal(RpcStatus.Error, second.Status);
        Assert.False(first.IsCompleted);
        Assert.Equal(1, client.Counters.Snapshot().CallsFailed);
    }

    [Fact]
    public async Task Response_IsDroppedAsWrongSource_AndTheCallTimesOut_WhenAnotherEndpointAnswers()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var impostor = net.Bind(OtherAddress);
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);
        var ct = TestContext.Current.CancellationToken;

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var request = await server.ReceiveBytesAsync();
        await impostor.SendAsync(HandBuilt.PingResponse(request.AsSpan(1, 20), ServerId), ClientAddress, ct);

        Assert.Equal(DropReason.WrongSource, await observer.NextDropAsync());
        Assert.False(call.IsCompleted);
        net.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(RpcStatus.Timeout, (await call.Bounded()).Status);
        Assert.Equal(1, client.Counters.Dropped(DropReason.WrongSource));
    }

    [Fact]
    public async Task Response_IsCountedLateOrDuplicate_WhenItArrivesAfterTheTimeout()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);
        var ct = TestContext.Current.CancellationToken;

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var request = await server.ReceiveBytesAsync();
        net.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(RpcStatus.Timeout, (await call.Bounded()).Status);
        await server.SendAsync(HandBuilt.PingResponse(request.AsSpan(1, 20), ServerId), ClientAddress, ct);

        Assert.Equal(DropReason.LateOrDuplicate, await observer.NextDropAsync());
        Assert.Equal(1, client.Counters.Dropped(DropReason.LateOrDuplicate));
        Assert.Equal(0, client.Counters.Dropped(DropReason.UnexpectedResponse));
    }

    [Fact]
    public async Task Response_IsCountedLateOrDuplicate_WhenItComesTwice()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);
        var ct = TestContext.Current.CancellationToken;

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var request = await server.ReceiveBytesAsync();
        var response = HandBuilt.PingResponse(request.AsSpan(1, 20), ServerId);
        await server.SendAsync(response, ClientAddress, ct);
        await server.SendAsync(response, ClientAddress, ct);

        Assert.Equal(RpcStatus.Ok, (await call.Bounded()).Status);
        Assert.Equal(DropReason.LateOrDuplicate, await observer.NextDropAsync());
        Assert.Equal(1, client.Counters.Snapshot().TotalDropped);
    }

    [Fact]
    public async Task Response_IsCountedUnexpected_WhenNoCallHadItsId()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);

        await server.SendAsync(HandBuilt.PingResponse(HandBuilt.PythonId(1), ServerId), ClientAddress, TestContext.Current.CancellationToken);

        Assert.Equal(DropReason.UnexpectedResponse, await observer.NextDropAsync());
        Assert.Equal(1, client.Counters.Dropped(DropReason.UnexpectedResponse));
    }

    [Fact]
    public async Task Response_ThatDoesNotDecode_IsDroppedAndTheCallKeepsWaitingForAGoodOne()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);
        var ct = TestContext.Current.CancellationToken;

        var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var request = await server.ReceiveBytesAsync();
        byte[] storeAnswer = [0x01, .. request.AsSpan(1, 20), 0xc3];
        await server.SendAsync(storeAnswer, ClientAddress, ct);
        var reason = await observer.NextDropAsync();
        Assert.False(call.IsCompleted);
        await server.SendAsync(HandBuilt.PingResponse(request.AsSpan(1, 20), ServerId), ClientAddress, ct);

        Assert.Equal(DropReason.WrongArgumentType, reason);
        var result = await call.Bounded();
        Assert.Equal(new PingResponse(ServerId), result.Response);
        Assert.False(result.PeerIsLiaa);
    }

    public static TheoryData<string, DropReason> MalformedDatagrams => new()
    {
        { "0001", DropReason.TooShort },
        { "05" + new string('0', 40) + "90", DropReason.UnknownType },
        { "00" + new string('1', 40) + "c1", DropReason.MalformedBody },
        { "00" + new string('1', 40) + "92a470696e6791c414" + new string('2', 40) + "00", DropReason.TrailingBytes },
        { "00" + new string('1', 40) + "92a3666f6f90", DropReason.UnknownMethod },
        { "00" + new string('1', 40) + "92a470696e6791a3616263", DropReason.WrongArgumentType },
        { "00" + new string('1', 40) + "92a470696e6791c413" + new string('2', 38), DropReason.WrongIdLength },
        { "00" + new string('1', 40) + "92a470696e6792c414" + new string('2', 40) + "c414" + new string('2', 40), DropReason.WrongShape },
        { "00" + new string('1', 40) + string.Concat(Enumerable.Repeat("91", 40)) + "c0", DropReason.TooDeep },
        { "02" + new string('1', 40) + "9192a470696e6791c414" + new string('2', 40), DropReason.MalformedHeader },
    };

    [Theory]
    [MemberData(nameof(MalformedDatagrams))]
    public async Task Request_IsDroppedWithoutReplyAndCountedByReason_WhenMalformed(string hex, DropReason expected)
    {
        await using var net = new RpcTestNetwork();
        var observer = new RecordingObserver();
        var server = net.AddEndpoint(ServerAddress, new TestHandler(ServerId), observer: observer);
        var raw = net.Bind(ClientAddress);
        var ct = TestContext.Current.CancellationToken;

        await raw.SendAsync(Convert.FromHexString(hex), ServerAddress, ct);
        var reason = await observer.NextDropAsync();
        var pingId = HandBuilt.PythonId(9);
        await raw.SendAsync(HandBuilt.Ping(pingId, ClientId), ServerAddress, ct);

        Assert.Equal(expected, reason);
        Assert.Equal(1, server.Counters.Dropped(expected));
        Assert.Equal(1, server.Counters.Snapshot().TotalDropped);

        // The receive loop handles datagrams in order: a reply to the malformed one would come first.
        Assert.Equal(HandBuilt.PingResponse(pingId, ServerId), await raw.ReceiveBytesAsync());
    }

    [Fact]
    public async Task Requests_AreServedConcurrently_WhenOneHandlerIsBlocked()
    {
        await using var net = new RpcTestNetwork();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler(ServerId)
        {
            Override = async (request, _, ct) =>
            {
                if (request is FindNodeRequest)
                {
                    await release.Task.WaitAsync(ct);
                    return new FindNodeResponse([]);
                }

                return new PingResponse(ServerId);
            },
        };
        var observer = new RecordingObserver();
        net.AddEndpoint(ServerAddress, handler, observer: observer);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        var blocked = client.SendAsync(ServerAddress, new FindNodeRequest(ClientId, ServerId), cancellationToken: ct);
        Assert.Equal(RpcMethod.FindNode, await observer.NextServedAsync());
        var ping = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct).Bounded();

        Assert.Equal(RpcStatus.Ok, ping.Status);
        Assert.False(blocked.IsCompleted);
        release.SetResult();
        Assert.Equal(RpcStatus.Ok, (await blocked.Bounded()).Status);
    }

    [Fact]
    public async Task Request_IsRejectedAndCounted_WhenMaxConcurrentRequestsAreInProgress()
    {
        await using var net = new RpcTestNetwork();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler(ServerId)
        {
            Override = async (_, _, ct) =>
            {
                await release.Task.WaitAsync(ct);
                return new PingResponse(ServerId);
            },
        };
        var observer = new RecordingObserver();
        var server = net.AddEndpoint(ServerAddress, handler, new RpcOptions { MaxConcurrentRequests = 1 }, observer);
        var raw = net.Bind(ClientAddress);
        var ct = TestContext.Current.CancellationToken;

        await raw.SendAsync(HandBuilt.Ping(HandBuilt.PythonId(1), ClientId), ServerAddress, ct);
        await raw.SendAsync(HandBuilt.Ping(HandBuilt.PythonId(2), ClientId), ServerAddress, ct);
        await raw.SendAsync(Convert.FromHexString("0001"), ServerAddress, ct);
        Assert.Equal(DropReason.Overloaded, await observer.NextDropAsync());
        Assert.Equal(DropReason.TooShort, await observer.NextDropAsync());
        release.SetResult();

        Assert.Equal(HandBuilt.PingResponse(HandBuilt.PythonId(1), ServerId), await raw.ReceiveBytesAsync());
        await server.StopAsync().Bounded();
        var counters = server.Counters.Snapshot();
        Assert.Equal(1, counters.Drops[DropReason.Overloaded]);
        Assert.Equal(1, counters.RequestsServed);
        Assert.Equal(0, raw.QueuedCount);
    }

    [Fact]
    public async Task Request_GetsNoReplyAndIsCounted_WhenTheHandlerThrowsOrDeclines()
    {
        await using var net = new RpcTestNetwork();
        var handler = new TestHandler(ServerId)
        {
            Override = (request, _, _) => request is PingRequest
                ? throw new InvalidOperationException("boom")
                : ValueTask.FromResult<RpcResponse?>(null),
        };
        var observer = new RecordingObserver();
        var server = net.AddEndpoint(ServerAddress, handler, observer: observer);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), new RpcOptions { Timeout = TimeSpan.FromSeconds(1) });
        var ct = TestContext.Current.CancellationToken;

        var ping = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var findNode = client.SendAsync(ServerAddress, new FindNodeRequest(ClientId, ServerId), cancellationToken: ct);
        await observer.NextServedAsync();
        await observer.NextServedAsync();

        // Stopping waits for the requests in progress, so the counters are final afterwards.
        await server.StopAsync().Bounded();
        net.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(RpcStatus.Timeout, (await ping.Bounded()).Status);
        Assert.Equal(RpcStatus.Timeout, (await findNode.Bounded()).Status);
        var counters = server.Counters.Snapshot();
        Assert.Equal((1, 1, 0), (counters.HandlerErrors, counters.RequestsUnanswered, counters.RequestsServed));
    }

    [Fact]
    public async Task PlainRequester_GetsExactlyThePythonResponseBytes_ForAHandBuiltPing()
    {
        await using var net = new RpcTestNetwork();
        net.AddEndpoint(ServerAddress, new TestHandler(ServerId));
        var raw = net.Bind(ClientAddress);
        var id = HandBuilt.PythonId(3);

        await raw.SendAsync(HandBuilt.Ping(id, ClientId), ServerAddress, TestContext.Current.CancellationToken);

        Assert.Equal([0x01, .. id, 0xc4, 0x14, .. ServerId.ToByteArray()], await raw.ReceiveBytesAsync());
    }

    [Fact]
    public async Task PlainRequester_GetsExactlyThePythonResponseBytes_ForACapturedStore()
    {
        await using var net = new RpcTestNetwork();
        var handler = new TestHandler(ServerId);
        net.AddEndpoint(ServerAddress, handler);
        var raw = net.Bind(ClientAddress);

        // From rpcudp-captures.txt: a client storing 'my awesome value'; Python answered 01 + id + c3.
        var captured = Convert.FromHexString(
            "004e13d5eb39b4adcdef1c3e76e295018db129cb2292a573746f726593c414cccccccccccccccccccccccccccccccccccccccc"
            + "c41461ba747fe2f5b3d513c40550084c6284fbbc1094b06d7920617765736f6d652076616c7565");
        await raw.SendAsync(captured, ServerAddress, TestContext.Current.CancellationToken);

        Assert.Equal([0x01, .. captured.AsSpan(1, 20), 0xc3], await raw.ReceiveBytesAsync());
        var (request, context) = Assert.Single(handler.Received);
        Assert.Equal(DhtValue.FromString("my awesome value"), Assert.IsType<StoreRequest>(request).Value);
        Assert.False(context.IsLiaaPeer);
        Assert.Null(context.Header);
    }

    [Fact]
    public async Task PythonPeer_OnlyEverReceivesPlainRequests_WhenItAnswersPlain()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 2; i++)
        {
            var call = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
            var request = await server.ReceiveBytesAsync();
            Assert.Equal(HandBuilt.Ping(request.AsSpan(1, 20), ClientId), request);
            await server.SendAsync(HandBuilt.PingResponse(request.AsSpan(1, 20), ServerId), ClientAddress, ct);
            Assert.False((await call.Bounded()).PeerIsLiaa);
        }

        Assert.False(client.IsKnownLiaaPeer(ServerAddress));
    }

    [Fact]
    public async Task ClientMode_IsCarriedInTheMessageId_ToTheServer()
    {
        await using var net = new RpcTestNetwork();
        var handler = new TestHandler(ServerId);
        net.AddEndpoint(ServerAddress, handler);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), new RpcOptions { ClientMode = true });

        await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: TestContext.Current.CancellationToken).Bounded();

        var (_, context) = Assert.Single(handler.Received);
        Assert.True(context.IsClientMode);
        Assert.True(context.IsLiaaPeer);
        Assert.Equal(ClientAddress, context.Remote);
    }

    [Fact]
    public async Task SendAsync_TimesOutDuringAPartition_AndSucceedsOnceHealed()
    {
        await using var net = new RpcTestNetwork();
        net.AddEndpoint(ServerAddress, new TestHandler(ServerId));
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        net.Network.Partition([ServerAddress], [ClientAddress]);
        var during = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        net.Time.Advance(TimeSpan.FromSeconds(5));
        var partitioned = await during.Bounded();
        net.Network.Heal();
        var healed = await client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct).Bounded();

        Assert.Equal(RpcStatus.Timeout, partitioned.Status);
        Assert.Equal(RpcStatus.Ok, healed.Status);
        Assert.Equal(1, net.Network.Counters.Blocked);
    }
}

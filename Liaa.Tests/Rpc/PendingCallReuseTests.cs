using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

/// <summary>
/// Calls are reused objects: whatever held an ended call (the timer, a late response, the caller's token) must not end
/// the call's next use; and a caller that opts in continues on the thread that ended its call.
/// </summary>
public sealed class PendingCallReuseTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 8468);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.2"), 8468);
    private static readonly NodeId ServerId = NodeId.FromKey("server");
    private static readonly NodeId ClientId = NodeId.FromKey("client");

    [Fact]
    public async Task ACompletionOfAnEndedUse_DoesNotEndTheNextUse()
    {
        var time = new FakeTimeProvider();
        var call = new PendingCall(MessageId.NewLiaa(new Random(1)), ServerAddress, RpcMethod.Ping, sentExtended: false, time);
        var first = call.Generation;
        Assert.True(call.TryComplete(first, RpcStatus.Ok));
        Assert.False(call.TryComplete(first, RpcStatus.Timeout));
        Assert.Equal(RpcStatus.Ok, (await call.Result).Status);

        call.Recycle();
        call.Begin(MessageId.NewLiaa(new Random(2)), ServerAddress, RpcMethod.FindNode, sentExtended: true, time, continuesOnCompletingThread: false);

        Assert.NotEqual(first, call.Generation);
        Assert.False(call.IsCompleted);
        Assert.False(call.TryComplete(first, RpcStatus.Timeout));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(call.TryComplete(call.Generation, RpcStatus.Cancelled));
        Assert.Equal((RpcStatus.Cancelled, TimeSpan.FromSeconds(1)), Outcome(await call.Result));
    }

    [Fact]
    public async Task AResponseToATimedOutCall_IsLate_AndDoesNotEndTheCallAfterIt()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var observer = new RecordingObserver();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), observer: observer);
        var ct = TestContext.Current.CancellationToken;

        var first = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var firstRequest = await server.ReceiveBytesAsync();
        net.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(RpcStatus.Timeout, (await first.Bounded()).Status);

        // The ended call is a spare the next one may take.
        var second = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var secondRequest = await server.ReceiveBytesAsync();
        await server.SendAsync(HandBuilt.PingResponse(firstRequest.AsSpan(1, 20), ServerId), ClientAddress, ct);

        Assert.Equal(DropReason.LateOrDuplicate, await observer.NextDropAsync());
        Assert.False(second.IsCompleted);
        await server.SendAsync(HandBuilt.PingResponse(secondRequest.AsSpan(1, 20), ServerId), ClientAddress, ct);
        Assert.Equal(RpcStatus.Ok, (await second.Bounded()).Status);
        Assert.Equal(0, client.PendingCallCount);
    }

    [Fact]
    public async Task CancellingTheTokenOfAnAnsweredCall_DoesNotEndTheCallAfterIt()
    {
        await using var net = new RpcTestNetwork();
        var server = net.Bind(ServerAddress);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;
        using var firstToken = new CancellationTokenSource();

        var first = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: firstToken.Token);
        var firstRequest = await server.ReceiveBytesAsync();
        await server.SendAsync(HandBuilt.PingResponse(firstRequest.AsSpan(1, 20), ServerId), ClientAddress, ct);
        Assert.Equal(RpcStatus.Ok, (await first.Bounded()).Status);

        var second = client.SendAsync(ServerAddress, new PingRequest(ClientId), cancellationToken: ct);
        var secondRequest = await server.ReceiveBytesAsync();
        await firstToken.CancelAsync();

        Assert.False(second.IsCompleted);
        await server.SendAsync(HandBuilt.PingResponse(secondRequest.AsSpan(1, 20), ServerId), ClientAddress, ct);
        Assert.Equal(RpcStatus.Ok, (await second.Bounded()).Status);
        Assert.Equal(2, client.Counters.Snapshot().CallsOk);
        Assert.Equal(0, client.Counters.Snapshot().CallsCancelled);
    }

    [Fact]
    public async Task ManyCallsInTurn_EachEndsWithItsOwnOutcome()
    {
        await using var net = new RpcTestNetwork();
        net.AddEndpoint(ServerAddress, new TestHandler(ServerId));
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), new RpcOptions { Timeout = TimeSpan.FromSeconds(2) });
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 20; i++)
        {
            // Answered, then timed out (a silent address), alternately: each reuses the call the one before ended.
            var answered = await client.CallAsync(ServerAddress, new PingRequest(ClientId), null, ct).AsTask().Bounded();
            var silent = client.CallAsync(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 8468), new PingRequest(ClientId), null, ct).AsTask();
            net.Time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal((RpcStatus.Ok, TimeSpan.Zero), Outcome(answered));
            Assert.Equal((RpcStatus.Timeout, TimeSpan.FromSeconds(2)), Outcome(await silent.Bounded()));
        }

        Assert.Equal(0, client.PendingCallCount);
        Assert.Equal(20, client.Counters.Snapshot().CallsOk);
        Assert.Equal(20, client.Counters.Snapshot().Timeouts);
    }

    [Fact]
    public async Task RequestsOfEverySize_InTurn_ArriveAsSent()
    {
        await using var net = new RpcTestNetwork();
        var handler = new TestHandler(ServerId);
        net.AddEndpoint(ServerAddress, handler);
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId));
        var ct = TestContext.Current.CancellationToken;

        // The thread's request writer grows for the large STORE, is not kept, and the next request is encoded afresh.
        foreach (var length in new[] { 10, 20_000, 10, 3_000, 5 })
        {
            var value = DhtValue.FromBytes(Enumerable.Repeat((byte)length, length).ToArray());
            var result = await client.CallAsync(ServerAddress, new StoreRequest(ClientId, NodeId.FromKey($"k{length}"), value), null, ct).AsTask().Bounded();
            Assert.Equal(RpcStatus.Ok, result.Status);
            Assert.True(handler.Received.TryDequeue(out var received));
            Assert.Equal(value, Assert.IsType<StoreRequest>(received.Request).Value);
        }
    }

    [Fact]
    public async Task ACallerThatOptsIn_ContinuesOnTheThreadThatEndsTheCall()
    {
        await using var net = new RpcTestNetwork();
        var client = net.AddEndpoint(ClientAddress, new TestHandler(ClientId), new RpcOptions { Timeout = TimeSpan.FromSeconds(2) });
        var options = new RpcCallOptions { ContinuesOnCompletingThread = true };
        var continuedOn = -1;

        async Task<RpcResult> CallerAsync()
        {
            var result = await client.CallAsync(ServerAddress, new PingRequest(ClientId), options, TestContext.Current.CancellationToken).ConfigureAwait(false);
            continuedOn = Environment.CurrentManagedThreadId;
            return result;
        }

        var caller = CallerAsync();

        // The manual clock fires the deadline timer here, on this thread: the caller has continued before Advance returns.
        net.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(caller.IsCompleted);
        Assert.Equal(Environment.CurrentManagedThreadId, continuedOn);
        Assert.Equal(RpcStatus.Timeout, (await caller).Status);
    }

    private static (RpcStatus, TimeSpan) Outcome(RpcResult result) => (result.Status, result.Elapsed);
}

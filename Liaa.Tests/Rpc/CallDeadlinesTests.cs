using System.Net;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

/// <summary>The endpoint's one timer for its calls' timeouts: each call ends exactly at its own timeout, whatever others wait.</summary>
public sealed class CallDeadlinesTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 8468);
    private readonly Random _random = new(7);

    [Fact]
    public async Task EachCall_TimesOutExactlyAtItsOwnTimeout_AndARemovedCallNever()
    {
        var time = new FakeTimeProvider();
        using var deadlines = new CallDeadlines(time);
        var slow = Call(time);
        deadlines.Add(slow, TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(1));
        var fast = Call(time);
        var answered = Call(time);
        deadlines.Add(fast, TimeSpan.FromSeconds(2));
        deadlines.Add(answered, TimeSpan.FromSeconds(2));
        deadlines.Remove(answered);
        time.Advance(TimeSpan.FromMilliseconds(500));
        var later = Call(time);
        deadlines.Add(later, TimeSpan.FromSeconds(2));

        time.Advance(TimeSpan.FromSeconds(1.5) - TimeSpan.FromTicks(1));
        Assert.False(fast.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal((RpcStatus.Timeout, TimeSpan.FromSeconds(2)), Outcome(await fast.Result));
        Assert.False(later.IsCompleted);
        Assert.False(slow.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal((RpcStatus.Timeout, TimeSpan.FromSeconds(2)), Outcome(await later.Result));
        Assert.False(slow.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1.5) - TimeSpan.FromTicks(1));
        Assert.False(slow.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal((RpcStatus.Timeout, TimeSpan.FromSeconds(5)), Outcome(await slow.Result));
        Assert.False(answered.IsCompleted);
    }

    [Fact]
    public async Task AShorterTimeout_AddedAfterALongerOne_ReArmsTheTimerEarlier()
    {
        var time = new FakeTimeProvider();
        using var deadlines = new CallDeadlines(time);
        var slow = Call(time);
        var fast = Call(time);
        deadlines.Add(slow, TimeSpan.FromSeconds(30));
        deadlines.Add(fast, TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(RpcStatus.Timeout, (await fast.Result).Status);
        Assert.False(slow.IsCompleted);
    }

    [Fact]
    public async Task CallsOfManyTimeoutLengths_EachEndAtItsOwn_AndTheLengthsGoOnceTheirCallsAreDone()
    {
        var time = new FakeTimeProvider();
        using var deadlines = new CallDeadlines(time);
        var calls = Enumerable.Range(1, 100).Select(i => (Call: Call(time), Timeout: TimeSpan.FromMilliseconds(i * 10))).ToArray();
        foreach (var (call, timeout) in calls)
        {
            deadlines.Add(call, timeout);
        }

        Assert.Equal(100, deadlines.LengthsInUse);
        for (var i = 0; i < calls.Length; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.Equal((RpcStatus.Timeout, calls[i].Timeout), Outcome(await calls[i].Call.Result));
            Assert.All(calls[(i + 1)..], later => Assert.False(later.Call.IsCompleted));
        }

        Assert.Equal(0, deadlines.LengthsInUse);
    }

    private static (RpcStatus, TimeSpan) Outcome(RpcResult result) => (result.Status, result.Elapsed);

    private PendingCall Call(TimeProvider time) => new(MessageId.NewLiaa(_random), Peer, RpcMethod.Ping, sentExtended: false, time);
}

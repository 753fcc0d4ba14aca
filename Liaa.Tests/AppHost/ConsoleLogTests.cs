using Liaa.AppHost.Orchestration;
using Liaa.Node.Simulation;

namespace Liaa.Tests.AppHost;

public sealed class ConsoleLogTests
{
    [Fact]
    public void Snapshot_KeepsNewestLinesInOrder_WhenCapacityIsExceeded()
    {
        var log = new ConsoleLog(3, new ManualTimeProvider());
        foreach (var text in new[] { "a", "b", "c", "d", "e" })
        {
            log.Append(ConsoleStream.Output, text);
        }

        Assert.Equal(["c", "d", "e"], log.Snapshot().Select(l => l.Text));
        Assert.Equal([3L, 4L, 5L], log.Snapshot().Select(l => l.Sequence));
        Assert.Equal(5, log.LastSequence);
    }

    [Fact]
    public void TailAndAfter_ReturnOnlyKeptLines()
    {
        var log = new ConsoleLog(4, new ManualTimeProvider());
        for (var i = 1; i <= 6; i++)
        {
            log.Append(i % 2 == 0 ? ConsoleStream.Error : ConsoleStream.Output, $"line {i}");
        }

        Assert.Equal(["line 5", "line 6"], log.Tail(2).Select(l => l.Text));
        Assert.Equal(["line 3", "line 4", "line 5", "line 6"], log.Tail(10).Select(l => l.Text));
        Assert.Equal(["line 6"], log.After(5).Select(l => l.Text));
        Assert.Equal(["line 3", "line 4", "line 5", "line 6"], log.After(1).Select(l => l.Text));
        Assert.Empty(log.After(6));
        Assert.Equal(ConsoleStream.Error, log.Tail(1)[0].Stream);
    }

    [Fact]
    public void Append_StampsLinesWithTheInjectedClock_AndRaisesLineAdded()
    {
        var time = new ManualTimeProvider();
        var log = new ConsoleLog(10, time);
        var seen = new List<ConsoleLine>();
        log.LineAdded += (_, line) => seen.Add(line);

        time.Advance(TimeSpan.FromSeconds(3));
        var line = log.Append(ConsoleStream.AppHost, "started");

        Assert.Equal(new ConsoleLine(1, time.GetUtcNow(), ConsoleStream.AppHost, "started"), line);
        Assert.Equal([line], seen);
    }

    [Fact]
    public async Task FollowAsync_ReplaysBacklogThenDeliversNewLines_UntilCancelled()
    {
        var log = new ConsoleLog(10, new ManualTimeProvider());
        log.Append(ConsoleStream.Output, "one");
        log.Append(ConsoleStream.Output, "two");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var received = new List<string>();

        await using var follow = log.FollowAsync(afterSequence: 1, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await follow.MoveNextAsync());
        received.Add(follow.Current.Text);
        var next = follow.MoveNextAsync();
        log.Append(ConsoleStream.Output, "three");
        Assert.True(await next);
        received.Add(follow.Current.Text);
        next = follow.MoveNextAsync();
        await stop.CancelAsync();

        Assert.False(await next);
        Assert.Equal(["two", "three"], received);
    }
}

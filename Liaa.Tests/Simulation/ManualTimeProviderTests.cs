using Liaa.Node.Simulation;

namespace Liaa.Tests.Simulation;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public async Task Delay_Completes_OnlyWhenTimeIsAdvancedPastIt()
    {
        var time = new ManualTimeProvider();
        var delay = Task.Delay(TimeSpan.FromSeconds(5), time, TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(delay.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(delay.IsCompletedSuccessfully);
    }

    [Fact]
    public void PeriodicTimers_FireInDueOrder_WithinOneAdvance()
    {
        var time = new ManualTimeProvider();
        var fired = new List<string>();
        using var a = time.CreateTimer(_ => fired.Add($"a@{time.GetUtcNow():mm:ss}"), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        using var b = time.CreateTimer(_ => fired.Add($"b@{time.GetUtcNow():mm:ss}"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal(["a@00:02", "b@00:03", "a@00:04", "a@00:06"], fired);
    }

    [Fact]
    public void CancellationTokenSource_CancelsAfterDelay()
    {
        var time = new ManualTimeProvider();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500), time);
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(cts.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(cts.IsCancellationRequested);
    }
}

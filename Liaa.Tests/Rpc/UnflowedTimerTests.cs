using Liaa.Node.Rpc;

namespace Liaa.Tests.Rpc;

public sealed class UnflowedTimerTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task ATimer_DoesNotSeeItsCreatorsAsyncLocals()
    {
        // The system clock's timers capture the creator's context unless told not to (a manual clock calls back inline).
        var fired = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Ambient.Value = "the creator's";
        using var timer = UnflowedTimer.Create(TimeProvider.System, _ => fired.TrySetResult(Ambient.Value), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);

        Assert.Null(await fired.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.False(ExecutionContext.IsFlowSuppressed());
    }

    [Fact]
    public void ATimer_CanBeCreatedWithTheFlowAlreadySuppressed()
    {
        using (ExecutionContext.SuppressFlow())
        {
            using var timer = UnflowedTimer.Create(TimeProvider.System, _ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Assert.True(ExecutionContext.IsFlowSuppressed());
        }
    }
}

using Liaa.Node.Simulation;

namespace Liaa.Tests.Integration;

/// <summary>
/// <see cref="ChildProcess.KillByPid"/>: the bench's way to end many processes at once (a signal to the bench, a cluster
/// disposed), without the walk of the whole process table that killing a process tree costs each time.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ChildProcessKillTests
{
    [Fact]
    public async Task KillByPid_EndsTheProcess_WithSigkill()
    {
        await using var process = ChildProcess.Start("sleep", ["600"]);
        Assert.False(process.HasExited);

        process.KillByPid();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var exitCode = await process.WaitForExitAsync(bound.Token);

        // 128 + SIGKILL: the process did not end on its own.
        Assert.Equal(137, exitCode);
    }

    [Fact]
    public async Task KillByPid_OfAnExitedProcess_DoesNothing()
    {
        await using var process = ChildProcess.Start("true", []);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        Assert.Equal(0, await process.WaitForExitAsync(bound.Token));

        process.KillByPid();
    }
}

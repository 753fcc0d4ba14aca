using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Integration;

/// <summary>
/// A <c>serve</c> process started with <c>LIAA_PARENT_PID</c> (as the AppHost and the bench start theirs) whose parent is
/// gone (its standard input closes): one with nothing to save exits at once, one with a data directory stops gracefully.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ParentGoneProcessTests
{
    // Only a node that never exits: the graceful stop has 10 s of its own (ParentWatcher.GracefulExitTimeout).
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ANodeWithoutADataDirectory_ExitsAtOnce_WhenItsParentIsGone()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        await node.WaitForServeAsync();

        node.CloseStandardInput();
        var exitCode = await node.WaitForExitAsync(ExitBound);

        Assert.Equal(0, exitCode);
        Assert.Contains("Liaa node: standard input closed (the AppHost stopped this node, or is gone); exiting.", node.Output);
    }

    [Fact]
    public async Task ANodeWithADataDirectory_StopsGracefully_WhenItsParentIsGone()
    {
        using var data = new TempDirectory();
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--data", data.Path);
        await node.WaitForServeAsync();

        node.CloseStandardInput();
        var exitCode = await node.WaitForExitAsync(ExitBound);

        Assert.Equal(0, exitCode);
        Assert.Contains("Liaa node: standard input closed (the AppHost stopped this node, or is gone); shutting down.", node.Output);
    }
}

using System.Net;
using Liaa.Node;
using Liaa.Node.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Protocol;

/// <summary>
/// A node's maintenance loop ends quietly when the node stops: its task runs to completion rather than ending
/// cancelled by an <see cref="OperationCanceledException"/> (one or two thrown per node stopped, which a simulation of
/// tens of thousands of nodes paid for at its end). Manual clock.
/// </summary>
public sealed class MaintenanceStopTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StoppingANode_EndsItsMaintenanceLoop_WithoutAnException()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(1));
        var node = await LiaaNode.StartAsync(
            new LiaaNodeOptions { Transport = network.Bind(new IPEndPoint(IPAddress.Parse("10.7.3.1"), 8468)), TimeProvider = time },
            cancellationToken: Token);
        var loop = node.MaintenanceLoop;
        Assert.NotNull(loop);

        // One round first, so the loop has started and is back waiting on its timer when the node stops (a loop stopped
        // before its first line ran ends cancelled whatever it does).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (node.MaintenanceRounds == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no maintenance round ran");
            time.Advance(node.Options.MaintenanceInterval);
            await Task.Delay(10, Token);
        }

        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(TaskStatus.RanToCompletion, loop.Status);
        await node.DisposeAsync();
    }
}

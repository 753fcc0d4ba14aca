using System.Net;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Simulation;

/// <summary>
/// The simulator's clock must not move while a receive loop still has datagrams waiting in its queue. A node's receive
/// loop runs the lookups its responses end (<c>RpcCallOptions.ContinuesOnCompletingThread</c>): while it works, nothing
/// is queued for the pool and nothing may be sent, and the clock moved past the responses still waiting behind it, so
/// their calls timed out although they had arrived (the 100,000-node simulation then missed gets). Alone in its
/// collection, as the other tests of the clock's rule.
/// </summary>
[Collection(ProcessWideMetersCollection.Name)]
public sealed class ReceiveQueueClockTests
{
    private static readonly IPEndPoint Sender = new(IPAddress.Parse("10.9.0.1"), 7000);
    private static readonly IPEndPoint Receiver = new(IPAddress.Parse("10.9.0.2"), 7000);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClockStandsStill_WhileAReceiveLoopWorksThroughItsQueue()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions { NodeCount = 1, Seed = 3 }, Token);
        await using var sender = sim.Network.Bind(Sender);
        await using var receiver = sim.Network.Bind(Receiver);

        // A timer due soon: the clock's next step if it moves.
        using var timer = sim.Time.CreateTimer(static _ => { }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        var start = sim.Time.GetUtcNow();
        var readAt = new List<DateTimeOffset>();

        // Three datagrams arrive at once; the loop spends a while on each (a lookup going on inline), sending nothing.
        var loop = Task.Run(
            async () =>
            {
                for (var i = 0; i < 3; i++)
                {
                    await sender.SendAsync(new byte[] { (byte)i }, Receiver, Token);
                }

                var buffer = new byte[16];
                for (var i = 0; i < 3; i++)
                {
                    await receiver.ReceiveAsync(buffer, Token);
                    readAt.Add(sim.Time.GetUtcNow());
                    Thread.Sleep(TimeSpan.FromMilliseconds(50));
                }
            },
            Token);

        await sim.RunAsync(loop, Token);

        Assert.Equal([start, start, start], readAt);
        Assert.Equal(0, sim.Network.WaitingCount);
    }

    [Fact]
    public async Task DatagramsLeftToAStoppedReader_DoNotHoldTheClock()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions { NodeCount = 1, Seed = 4 }, Token);
        await using var sender = sim.Network.Bind(Sender);
        var receiver = sim.Network.Bind(Receiver);
        using var stop = new CancellationTokenSource();
        var reading = ReadUntilStoppedAsync(receiver, stop.Token);
        await sender.SendAsync(new byte[] { 1 }, Receiver, Token);
        await sim.RunAsync(reading.FirstRead, Token);

        // The reader stops; what comes after it is nobody's work, and neither is anything left when the transport goes.
        await stop.CancelAsync();
        await reading.Ended;
        await sender.SendAsync(new byte[] { 2 }, Receiver, Token);
        Assert.Equal(0, sim.Network.WaitingCount);
        await sim.AdvanceAsync(TimeSpan.FromSeconds(1), Token);
        await receiver.DisposeAsync();

        Assert.Equal(0, sim.Network.WaitingCount);
        Assert.Equal(1, sim.Network.ReceivedCount);
    }

    private static (Task FirstRead, Task Ended) ReadUntilStoppedAsync(InMemoryDatagramTransport receiver, CancellationToken stop)
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = Task.Run(async () =>
        {
            var buffer = new byte[16];
            try
            {
                while (true)
                {
                    await receiver.ReceiveAsync(buffer, stop);
                    first.TrySetResult();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        return (first.Task, ended);
    }
}

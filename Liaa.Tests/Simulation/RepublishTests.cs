using System.Diagnostics;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Simulation;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Tests.Simulation;

/// <summary>
/// The original publisher's republish (§2.5) renews what it holds now: a put that lands while a
/// republish round is under way is neither overwritten locally nor across the network.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class RepublishTests
{
    // Set only in this test's flow: the listener sees every node's spans in the process, this marks ours.
    private static readonly AsyncLocal<bool> InThisRound = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Republish_KeepsAPutThatLandsDuringTheRound_AndRenewsTheUntouchedValues()
    {
        await using var sim = await SimulatedNetwork.CreateAsync(new SimulationOptions
        {
            NodeCount = 12,
            Seed = 29,

            // No timer-driven maintenance: the test runs the one round itself. The holders are read as soon as the
            // concurrent put returns, so a put waits for every STORE (by default it returns after 8, the rest still
            // landing: under load a holder was read before "new" reached it).
            ConfigureNode = options =>
            {
                options.MaintenanceInterval = TimeSpan.FromDays(365);
                options.Storage.PutAcknowledgements = 0;
            },
        }, Token);
        var publisher = sim.Nodes[3];
        await sim.RunAsync(publisher.PutAsync("replaced", DhtValue.FromString("old"), Token), Token);
        await sim.RunAsync(publisher.PutAsync("untouched", DhtValue.FromString("same"), Token), Token);
        await sim.AdvanceAsync(publisher.Options.Storage.RepublishInterval + TimeSpan.FromMinutes(1), Token);
        var roundStart = sim.Time.GetUtcNow();

        // The round has taken its list of due values when its span starts; the put lands right then.
        Task<PutResult>? concurrentPut = null;
        using var marker = new ActivityListener
        {
            ShouldListenTo = source => source.Name is LiaaDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = activity =>
            {
                if (activity.OperationName == "republish" && InThisRound.Value && concurrentPut is null)
                {
                    concurrentPut = publisher.PutAsync("replaced", DhtValue.FromString("new"), Token);
                }
            },
        };
        ActivitySource.AddActivityListener(marker);
        InThisRound.Value = true;
        var round = publisher.RunMaintenanceAsync(Token);
        InThisRound.Value = false;

        await sim.RunAsync(round, Token);
        Assert.NotNull(concurrentPut);
        Assert.True((await sim.RunAsync(concurrentPut, Token)).IsAccepted);

        var held = publisher.GetStoredValues().ToDictionary(v => v.Key);
        Assert.Equal(DhtValue.FromString("new"), held[NodeId.FromKey("replaced")].Value);
        Assert.Equal(ValueOrigin.Own, held[NodeId.FromKey("replaced")].Origin);
        Assert.True(held[NodeId.FromKey("untouched")].PublishedAt >= roundStart, "the untouched value was not republished");
        var holders = sim.Nodes.Where(n => n != publisher)
            .SelectMany(n => n.GetStoredValues())
            .Where(v => v.Key == NodeId.FromKey("replaced"))
            .ToArray();
        Assert.NotEmpty(holders);
        Assert.All(holders, v => Assert.Equal(DhtValue.FromString("new"), v.Value));
        var reader = await sim.RunAsync(sim.Nodes[9].GetAsync("replaced", Token), Token);
        Assert.Equal("new", reader.Value?.AsString());
    }

}

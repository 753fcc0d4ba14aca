using System.Text.Json;
using Liaa.AppHost.Dashboard;
using Liaa.Node.Kademlia;

namespace Liaa.Tests.Dashboard;

public sealed class KeyPlacementTests
{
    private static readonly NodeId Key = NodeId.Parse("8000000000000000000000000000000000000000");

    private static StorageListing Holding(string key, string origin) => StorageListing.Parse(JsonDocument.Parse(
        $$"""{"keys":1,"values":[{"key":"{{key}}","kind":"string","size":5,"origin":"{{origin}}","expiresAt":"2025-01-02T00:00:00+00:00"}]}""").RootElement);

    [Fact]
    public void Build_RanksNodesByXorDistance_AndMarksTheHolders()
    {
        var nodes = new (string, string?)[]
        {
            ("node-0", "0000000000000000000000000000000000000000"),
            ("node-1", "8000000000000000000000000000000000000001"),
            ("node-2", null),
            ("node-3", "c000000000000000000000000000000000000000"),
        };
        var listings = new Dictionary<string, StorageListing>
        {
            ["node-0"] = StorageListing.Failed("did not answer"),
            ["node-1"] = Holding(Key.ToString(), "own"),
            ["node-3"] = Holding("1111111111111111111111111111111111111111", "replicated"),
        };

        var placement = KeyPlacement.Build("k", Key, nodes, listings);

        Assert.Equal(["node-1", "node-3", "node-0", "node-2"], placement.Nodes.Select(n => n.Node));
        Assert.Equal([1, 159, 160, null], placement.Nodes.Select(n => n.DistanceBits));
        Assert.Equal([true, false, false, false], placement.Nodes.Select(n => n.Holds));
        Assert.Equal(("own", 5), (placement.Nodes[0].Origin, placement.Nodes[0].Size));
        Assert.Equal([null, null, "did not answer", "not running"], placement.Nodes.Select(n => n.Error));
        Assert.Equal((1, 0.5), (placement.Holders, placement.RingPosition));
    }
}

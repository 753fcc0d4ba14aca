using System.Text.Json;
using Liaa.Explorer;

namespace Liaa.Tests.Explorer;

public sealed class KeyPlacementTests
{
    [Fact]
    public void Build_RanksNodesByXorDistance_MarksTheKClosest_AndWhoHoldsTheKey()
    {
        var key = Id160.FromKey("greeting");
        var near = Flip(key, 39);
        var middle = Flip(key, 20);
        var far = Flip(key, 0);
        RingNode Node(string name, Id160 id) => new(name, id.Hex, id.RingPosition, null, 2, 20, true, false, null);
        var storage = new Dictionary<string, NodeRead>
        {
            ["far"] = Listing(key.Hex),
            ["near"] = Listing("0000000000000000000000000000000000000000"),
            ["middle"] = new(null, "did not answer"),
        };

        var placement = KeyPlacement.Build("greeting", key, k: 2, [Node("far", far), Node("near", near), Node("middle", middle), new RingNode("down", null, null, null, null, null, false, false, "refused")], storage);

        Assert.Equal(["near", "middle", "far", "down"], placement.Nodes.Select(n => n.Node));
        Assert.Equal([true, true, false, false], placement.Nodes.Select(n => n.IsKClosest));
        Assert.Equal([false, false, true, false], placement.Nodes.Select(n => n.Holds));
        Assert.Equal(1, placement.Holders);
        Assert.Equal("did not answer", placement.Nodes[1].Error);
        Assert.Equal("refused", placement.Nodes[3].Error);
        Assert.Equal([1, 77, 160], placement.Nodes.Take(3).Select(n => n.DistanceBits!.Value));
    }

    /// <summary>The id with its hex digit at <paramref name="index"/> XORed with 1 (digit 0 is the top four bits).</summary>
    private static Id160 Flip(Id160 id, int index)
    {
        var digits = id.Hex.ToCharArray();
        digits[index] = Convert.ToString(Convert.ToInt32(digits[index].ToString(), 16) ^ (index == 0 ? 8 : 1), 16)[0];
        return new Id160(new string(digits));
    }

    private static NodeRead Listing(string keyHex)
    {
        using var document = JsonDocument.Parse($$"""{"keys":1,"values":[{"key":"{{keyHex}}","origin":"replicated","expiresAt":"2026-12-05T00:00:00+00:00"}]}""");
        return new NodeRead(document.RootElement.Clone(), null);
    }
}

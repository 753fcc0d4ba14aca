using System.Numerics;
using Liaa.Node.Kademlia;

namespace Liaa.Tests.Kademlia;

public sealed class NodeIdTests
{
    [Fact]
    public void FromKey_IsSha1OfUtf8_AsPythonComputesIt()
    {
        // hashlib.sha1(b"my-key").hexdigest(), as Python's kademlia does for set/get.
        Assert.Equal("61ba747fe2f5b3d513c40550084c6284fbbc1094", NodeId.FromKey("my-key").ToString());
    }

    [Fact]
    public void RoundTrip_PreservesBytes_ForRandomIds()
    {
        var random = new Random(7);
        for (var i = 0; i < 100; i++)
        {
            var bytes = new byte[20];
            random.NextBytes(bytes);
            Assert.Equal(bytes, NodeId.FromBytes(bytes).ToByteArray());
        }
    }

    [Fact]
    public void Distance_MatchesBigIntegerXor_AndOrdersAsUnsignedNumbers()
    {
        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            var a = NodeId.Random(random);
            var b = NodeId.Random(random);
            var c = NodeId.Random(random);
            Assert.Equal(a.ToBigInteger() ^ b.ToBigInteger(), a.DistanceTo(b).ToBigInteger());
            Assert.Equal(BigInteger.Compare(a.ToBigInteger(), c.ToBigInteger()), Math.Sign(a.CompareTo(c)));
        }
    }

    [Fact]
    public void HighestBit_IsBucketIndex_OfDistance()
    {
        Assert.Equal(-1, NodeId.Zero.HighestBit);
        Assert.Equal(159, NodeId.Max.HighestBit);
        for (var bit = 0; bit < NodeId.BitLength; bit++)
        {
            var id = NodeId.Zero.FlipBit(bit);
            Assert.Equal(159 - bit, id.HighestBit);
            Assert.True(id.GetBit(bit));
            Assert.Equal(BigInteger.One << (159 - bit), id.ToBigInteger());
        }
    }

    [Fact]
    public void Parse_Rejects_WrongLengthOrNonHex()
    {
        Assert.False(NodeId.TryParse("abc", out _));
        Assert.False(NodeId.TryParse(new string('g', 40), out _));
        Assert.True(NodeId.TryParse(new string('a', 40), out var id));
        Assert.Equal(new string('a', 40), id.ToString());
    }
}

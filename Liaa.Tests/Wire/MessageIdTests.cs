using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

public sealed class MessageIdTests
{
    [Theory]
    [InlineData(LiaaIdFlags.None)]
    [InlineData(LiaaIdFlags.ClientMode)]
    public void NewLiaa_CarriesMarkerVersionAndFlags_InItsFirstEightBytes(LiaaIdFlags flags)
    {
        var id = MessageId.NewLiaa(new Random(5), flags);
        var bytes = id.ToByteArray();

        Assert.Equal("4c494141d70e", Convert.ToHexStringLower(bytes.AsSpan(0, 6))); // "LIAA" and two fixed bytes
        Assert.Equal(MessageId.LiaaProtocolVersion, bytes[6]);
        Assert.Equal((byte)flags, bytes[7]);
        Assert.True(id.IsLiaa);
        Assert.Equal(MessageId.LiaaProtocolVersion, id.LiaaVersion);
        Assert.Equal(flags, id.Flags);
    }

    [Fact]
    public void NewLiaa_DrawsTwelveRandomBytes_FromTheGivenRandom()
    {
        var a = MessageId.NewLiaa(new Random(9));
        Assert.Equal(a, MessageId.NewLiaa(new Random(9)));
        Assert.NotEqual(a, MessageId.NewLiaa(new Random(10)));
        Assert.Equal(a.ToByteArray()[..8], MessageId.NewLiaa(new Random(10)).ToByteArray()[..8]);
    }

    [Fact]
    public void PythonIds_AreNotLiaa_AndHaveNoFlags()
    {
        foreach (var capture in RpcCaptures.All)
        {
            var id = MessageId.Read(capture.Datagram.AsSpan(1));
            Assert.False(id.IsLiaa);
            Assert.Equal(0, id.LiaaVersion);
            Assert.Equal(LiaaIdFlags.None, id.Flags);
        }

        var random = MessageId.NewRandom(new Random(1));
        Assert.False(random.IsLiaa);
    }

    [Fact]
    public void AnIdWithTheMarkerButOtherVersionBytes_IsStillLiaa_AndSaysItsVersion()
    {
        var bytes = Convert.FromHexString("4c494141d70e" + "07" + "01" + "000102030405060708090a0b");
        var id = MessageId.Read(bytes);
        Assert.True(id.IsLiaa);
        Assert.Equal(7, id.LiaaVersion);
        Assert.Equal(LiaaIdFlags.ClientMode, id.Flags);

        bytes[5] ^= 1;
        Assert.False(MessageId.Read(bytes).IsLiaa);
    }

    [Fact]
    public void ReadAndWrite_PreserveTheBytes_AndEqualityFollowsThem()
    {
        var bytes = Convert.FromHexString("d51e85dfb9ef026854e2bd9aff9ffe6c7d625da5");
        var id = MessageId.Read(bytes);
        Assert.Equal(bytes, id.ToByteArray());
        Assert.Equal("d51e85dfb9ef026854e2bd9aff9ffe6c7d625da5", id.ToString());
        Assert.True(id == MessageId.Read(bytes));
        Assert.Equal(id.GetHashCode(), MessageId.Read(bytes).GetHashCode());

        bytes[19] ^= 1;
        Assert.True(id != MessageId.Read(bytes));
        Assert.Throws<ArgumentException>(() => MessageId.Read(new byte[19]));
    }
}

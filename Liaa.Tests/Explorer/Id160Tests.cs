using Liaa.Explorer;

namespace Liaa.Tests.Explorer;

public sealed class Id160Tests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000", 0.0)]
    [InlineData("8000000000000000000000000000000000000000", 0.5)]
    [InlineData("c000000000000000000000000000000000000000", 0.75)]
    public void RingPosition_IsTheIdAsAFractionOfTheSpace(string id, double expected)
    {
        Assert.True(Id160.TryParse(id, out var parsed));
        Assert.Equal(expected, parsed.RingPosition);
    }

    [Theory]
    [InlineData("8000000000000000000000000000000000000000", "0000000000000000000000000000000000000000", 160)]
    [InlineData("0000000000000000000000000000000000000003", "0000000000000000000000000000000000000001", 2)]
    [InlineData("0000000000000000000000000000000000000100", "0000000000000000000000000000000000000000", 9)]
    [InlineData("abababababababababababababababababababab", "abababababababababababababababababababab", 0)]
    public void DistanceBits_IsTheLengthOfTheXorDistance(string a, string b, int expected)
    {
        Assert.True(Id160.TryParse(a, out var left));
        Assert.True(Id160.TryParse(b, out var right));
        Assert.Equal(expected, left.DistanceBits(right));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00")]
    [InlineData("zz00000000000000000000000000000000000000")]
    public void TryParse_RefusesAnythingButFortyHexDigits(string? text)
    {
        Assert.False(Id160.TryParse(text, out _));
    }

    [Fact]
    public void FromKey_IsSha1OfTheKey_AsThePythonPeersHashIt()
    {
        Assert.Equal("a0f7e779f9247566c84036f07f7bdf4a40a869bd", Id160.FromKey("greeting").Hex);
    }
}

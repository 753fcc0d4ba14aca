using Liaa.AppHost.Dashboard;

namespace Liaa.Tests.Dashboard;

public sealed class IdSpaceTests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000", 0.0)]
    [InlineData("8000000000000000000000000000000000000000", 0.5)]
    [InlineData("c000000000000000000000000000000000000000", 0.75)]
    [InlineData("not an id", 0.0)]
    public void RingPosition_IsTheIdAsAFractionOfTheSpace(string id, double expected)
    {
        Assert.Equal(expected, IdSpace.RingPosition(id));
    }

    [Theory]
    [InlineData("8000000000000000000000000000000000000000", "0000000000000000000000000000000000000000", 160)]
    [InlineData("0000000000000000000000000000000000000003", "0000000000000000000000000000000000000001", 2)]
    [InlineData("abababababababababababababababababababab", "abababababababababababababababababababab", 0)]
    public void DistanceBits_IsTheLengthOfTheXorDistance(string a, string b, int expected)
    {
        Assert.Equal(expected, IdSpace.DistanceBits(a, b));
    }

    [Fact]
    public void DistanceBits_IsNull_WhenAnIdIsMissingOrMalformed()
    {
        Assert.Null(IdSpace.DistanceBits(null, "0000000000000000000000000000000000000000"));
        Assert.Null(IdSpace.DistanceBits("00", "0000000000000000000000000000000000000000"));
    }

    [Fact]
    public void TryKeyId_HashesAStringKey_AndTakesADigestAsIs()
    {
        Assert.True(IdSpace.TryKeyId("greeting", isDigest: false, out var hashed));
        Assert.Equal("a0f7e779f9247566c84036f07f7bdf4a40a869bd", hashed.ToString());
        Assert.True(IdSpace.TryKeyId("a0f7e779f9247566c84036f07f7bdf4a40a869bd", isDigest: true, out var digest));
        Assert.Equal(hashed, digest);
        Assert.False(IdSpace.TryKeyId("greeting", isDigest: true, out _));
    }
}

using System.Text;
using Liaa.Node.Storage;

namespace Liaa.Tests.Storage;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Compute_MatchesTheCastagnoliCheckValues(string text, uint expected) =>
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Append_InPieces_EqualsComputeOverTheWhole()
    {
        var data = Encoding.ASCII.GetBytes("a longer text that crosses several eight-byte words");
        var running = Crc32C.Append(~0u, data.AsSpan(0, 13));
        Assert.Equal(Crc32C.Compute(data), ~Crc32C.Append(running, data.AsSpan(13)));
    }
}

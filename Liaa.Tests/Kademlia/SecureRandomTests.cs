using Liaa.Node.Kademlia;

namespace Liaa.Tests.Kademlia;

/// <summary>
/// The secure random source of node ids and message ids: every byte asked for is filled, and on Linux it comes from
/// <c>getrandom(2)</c> rather than OpenSSL.
/// </summary>
public sealed class SecureRandomTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(3072)]
    [InlineData(1 << 20)]
    public void Fill_FillsEveryByte_AndTwoFillsDiffer(int length)
    {
        var first = new byte[length];
        var second = new byte[length];
        SecureRandom.Fill(first);
        SecureRandom.Fill(second);

        Assert.False(first.AsSpan().SequenceEqual(second), "two fills gave the same bytes");
        // A short read that was not continued would leave the end zero; 16 zero bytes by chance is 2^-128.
        var tail = first.AsSpan(Math.Max(0, length - 16));
        Assert.True(length < 16 || tail.ContainsAnyExcept((byte)0), "the end of the buffer was not filled");
    }

    [Fact]
    public void Fill_OfNothing_DoesNothing()
    {
        SecureRandom.Fill([]);
    }

    [Fact]
    public void OnLinux_TheBytesComeFromGetRandom()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "getrandom(2) is Linux's");
        SecureRandom.Fill(new byte[8]);
        Assert.True(SecureRandom.UsesGetRandom);
    }

    [Fact]
    public void NewNodeIds_AreDistinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => NodeId.NewRandom()).ToHashSet();
        Assert.Equal(1000, ids.Count);
    }
}

using System.Security.Cryptography;
using System.Text;
using Liaa.Node.Kademlia;

namespace Liaa.Tests.Kademlia;

/// <summary>The node's own SHA-1 (which keeps OpenSSL out of the node process) gives the standard digests.</summary>
public sealed class Sha1Tests
{
    [Theory]
    [InlineData("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1")]
    [InlineData("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", "a49b2446a02c645bf419f995b67091253a04a259")]
    public void Digest_MatchesTheFipsVectors(string message, string expected)
    {
        Span<byte> digest = stackalloc byte[Sha1.HashSize];
        Sha1.HashData(Encoding.ASCII.GetBytes(message), digest);
        Assert.Equal(expected, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Digest_OfAMillionAs_MatchesTheFipsVector()
    {
        var message = new byte[1_000_000];
        message.AsSpan().Fill((byte)'a');
        var digest = new byte[Sha1.HashSize];
        Sha1.HashData(message, digest);
        Assert.Equal("34aa973cd4c4daa4f61eeb2bdbad27316534016f", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Digest_MatchesTheFrameworks_AtEveryLengthAroundTheBlockBoundaries()
    {
        var random = new Random(15);
        for (var length = 0; length <= 300; length++)
        {
            var message = new byte[length];
            random.NextBytes(message);
            var digest = new byte[Sha1.HashSize];
            Sha1.HashData(message, digest);
            Assert.Equal(SHA1.HashData(message), digest);
        }
    }

    [Fact]
    public void KeyId_IsTheSha1OfTheKeysUtf8Bytes()
    {
        const string key = "clé partagée";
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(key))), NodeId.FromKey(key).ToString());
    }

    [Fact]
    public void ShortDestination_Throws()
    {
        Assert.Throws<ArgumentException>(() => Sha1.HashData([1, 2, 3], new byte[19]));
    }
}

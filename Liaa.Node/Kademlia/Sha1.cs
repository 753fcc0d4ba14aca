using System.Buffers.Binary;
using System.Numerics;

namespace Liaa.Node.Kademlia;

/// <summary>
/// SHA-1 (FIPS 180-4) in managed code: the digest that turns a key into its 160-bit id, as the Python peers
/// compute it. It replaces <c>System.Security.Cryptography.SHA1</c> only to keep OpenSSL out of the node process.
/// </summary>
/// <remarks>
/// On Linux the framework's SHA-1 is OpenSSL's, and its first call loads <c>libssl</c> and <c>libcrypto</c> into a
/// process that uses nothing else of them (3.4 MB of RSS in every node that serves a put or get, and their
/// initialisation; BENCHMARKS.md, "Start-up"). Keys are short, so speed does not matter here: this hashes a
/// 100-byte key in well under a microsecond. The digest is not a secret and needs no constant-time code; collision
/// resistance is what Kademlia gets from SHA-1 either way. Checked against the FIPS test vectors and against the
/// framework's SHA-1 on every length from 0 to 300 bytes (<c>Liaa.Tests/Kademlia/Sha1Tests.cs</c>).
/// </remarks>
internal static class Sha1
{
    /// <summary>Bytes in a digest.</summary>
    public const int HashSize = 20;

    private const int BlockSize = 64;

    /// <summary>Writes the SHA-1 digest of <paramref name="source"/> to the first 20 bytes of <paramref name="destination"/>.</summary>
    public static void HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a SHA-1 digest needs {HashSize}.", nameof(destination));
        }

        Span<uint> state = [0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u];
        Span<uint> schedule = stackalloc uint[80];
        var whole = source.Length - (source.Length % BlockSize);
        for (var offset = 0; offset < whole; offset += BlockSize)
        {
            Compress(source.Slice(offset, BlockSize), state, schedule);
        }

        // The last bytes, the 1 bit, zeros, and the message length in bits (big-endian): one block or two.
        Span<byte> tail = stackalloc byte[2 * BlockSize];
        tail.Clear();
        var rest = source[whole..];
        rest.CopyTo(tail);
        tail[rest.Length] = 0x80;
        var tailLength = rest.Length + 1 + sizeof(ulong) <= BlockSize ? BlockSize : 2 * BlockSize;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailLength - sizeof(ulong))..], (ulong)source.Length * 8);
        for (var offset = 0; offset < tailLength; offset += BlockSize)
        {
            Compress(tail.Slice(offset, BlockSize), state, schedule);
        }

        for (var i = 0; i < state.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(i * sizeof(uint))..], state[i]);
        }
    }

    private static void Compress(ReadOnlySpan<byte> block, Span<uint> state, Span<uint> w)
    {
        for (var i = 0; i < 16; i++)
        {
            w[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(i * sizeof(uint))..]);
        }

        for (var i = 16; i < 80; i++)
        {
            w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (var i = 0; i < 80; i++)
        {
            var (f, k) = i switch
            {
                < 20 => ((b & c) | (~b & d), 0x5A827999u),
                < 40 => (b ^ c ^ d, 0x6ED9EBA1u),
                < 60 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDCu),
                _ => (b ^ c ^ d, 0xCA62C1D6u),
            };
            var next = BitOperations.RotateLeft(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = next;
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }
}

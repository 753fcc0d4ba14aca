using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Liaa.Node.Kademlia;

/// <summary>
/// A 160-bit Kademlia identifier: a node id, a key, or the XOR distance between two of them
/// (Kademlia §2.1). Held as three big-endian words so XOR, comparison and the bucket index are a
/// few instructions with no allocation; byte 0 of the wire form is the most significant byte.
/// </summary>
/// <remarks>
/// Ordering (<see cref="CompareTo"/>) is the unsigned big-endian order of the 160-bit number, which
/// for distances is "closer first". Equality is value equality.
/// </remarks>
public readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    /// <summary>Length of an id on the wire, in bytes.</summary>
    public const int ByteLength = 20;

    /// <summary>Length of an id, in bits.</summary>
    public const int BitLength = 160;

    private readonly ulong _high;   // bytes 0..7
    private readonly ulong _middle; // bytes 8..15
    private readonly uint _low;     // bytes 16..19

    private NodeId(ulong high, ulong middle, uint low)
    {
        _high = high;
        _middle = middle;
        _low = low;
    }

    /// <summary>The all-zero id (also the distance of an id to itself).</summary>
    public static NodeId Zero => default;

    /// <summary>The all-ones id, the largest distance there is.</summary>
    public static NodeId Max => new(ulong.MaxValue, ulong.MaxValue, uint.MaxValue);

    /// <summary>Reads an id from exactly 20 big-endian bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 20 bytes long.</exception>
    public static NodeId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"A node id is {ByteLength} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new NodeId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>Reads an id when <paramref name="bytes"/> is exactly 20 bytes long.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out NodeId id)
    {
        if (bytes.Length != ByteLength)
        {
            id = default;
            return false;
        }

        id = FromBytes(bytes);
        return true;
    }

    /// <summary>The key of a user's string: the SHA-1 digest of its UTF-8 bytes, as the Python peers compute it.</summary>
    public static NodeId FromKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> digest = stackalloc byte[ByteLength];
        var utf8 = Encoding.UTF8.GetBytes(key);
        Sha1.HashData(utf8, digest);
        return FromBytes(digest);
    }

    /// <summary>The SHA-1 digest of arbitrary bytes.</summary>
    public static NodeId FromSha1(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[ByteLength];
        Sha1.HashData(data, digest);
        return FromBytes(digest);
    }

    /// <summary>A uniformly random id drawn from <paramref name="random"/>.</summary>
    public static NodeId Random(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[ByteLength];
        random.NextBytes(bytes);
        return FromBytes(bytes);
    }

    /// <summary>A random id from a cryptographic source: the default for a new node's identity.</summary>
    public static NodeId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        SecureRandom.Fill(bytes);
        return FromBytes(bytes);
    }

    /// <summary>Parses 40 hexadecimal digits.</summary>
    public static NodeId Parse(string hex)
    {
        if (!TryParse(hex, out var id))
        {
            throw new FormatException($"'{hex}' is not a node id: expected {ByteLength * 2} hexadecimal digits.");
        }

        return id;
    }

    /// <summary>Parses 40 hexadecimal digits.</summary>
    public static bool TryParse(string? hex, out NodeId id)
    {
        id = default;
        if (hex is null || hex.Length != ByteLength * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[ByteLength];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != ByteLength)
        {
            return false;
        }

        id = FromBytes(bytes);
        return true;
    }

    /// <summary>The XOR distance between this id and <paramref name="other"/> (Kademlia §2.1).</summary>
    public NodeId DistanceTo(NodeId other) => this ^ other;

    /// <summary>XOR of two ids.</summary>
    public static NodeId operator ^(NodeId a, NodeId b) => new(a._high ^ b._high, a._middle ^ b._middle, a._low ^ b._low);

    /// <summary>Number of leading zero bits (160 for <see cref="Zero"/>).</summary>
    public int LeadingZeroCount()
    {
        if (_high != 0)
        {
            return BitOperations.LeadingZeroCount(_high);
        }

        if (_middle != 0)
        {
            return 64 + BitOperations.LeadingZeroCount(_middle);
        }

        return _low != 0 ? 128 + BitOperations.LeadingZeroCount(_low) : BitLength;
    }

    /// <summary>
    /// Index of the highest set bit counted from the least significant end (0..159), or -1 for zero.
    /// For a distance d, this is the "i" of Kademlia's k-bucket i, holding 2^i &lt;= d &lt; 2^(i+1).
    /// </summary>
    public int HighestBit => BitLength - 1 - LeadingZeroCount();

    /// <summary>The bit at <paramref name="index"/>, counting from the most significant bit (0) to the least (159).</summary>
    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        return index switch
        {
            < 64 => ((_high >> (63 - index)) & 1) != 0,
            < 128 => ((_middle >> (127 - index)) & 1) != 0,
            _ => ((_low >> (159 - index)) & 1) != 0,
        };
    }

    /// <summary>This id with bit <paramref name="index"/> (0 = most significant) flipped.</summary>
    public NodeId FlipBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        return index switch
        {
            < 64 => new NodeId(_high ^ (1UL << (63 - index)), _middle, _low),
            < 128 => new NodeId(_high, _middle ^ (1UL << (127 - index)), _low),
            _ => new NodeId(_high, _middle, _low ^ (1U << (159 - index))),
        };
    }

    /// <summary>Writes the 20 big-endian bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < ByteLength)
        {
            throw new ArgumentException($"Need {ByteLength} bytes to write a node id.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _middle);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _low);
    }

    /// <summary>The 20 big-endian bytes as a new array.</summary>
    public byte[] ToByteArray()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The id as a <see cref="BigInteger"/> (for display and for arithmetic in tests; not for hot paths).</summary>
    public BigInteger ToBigInteger()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        WriteTo(bytes);
        return new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
    }

    public int CompareTo(NodeId other)
    {
        var c = _high.CompareTo(other._high);
        if (c != 0)
        {
            return c;
        }

        c = _middle.CompareTo(other._middle);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public bool Equals(NodeId other) => _high == other._high && _middle == other._middle && _low == other._low;

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _middle, _low);

    /// <summary>
    /// A hash for Liaa's small fixed-size caches of decoded values (<c>RecentlyDecoded</c>): the 160 bits folded into 32
    /// and multiplied by 2^64/φ (Fibonacci hashing), a few xors, a multiply and a shift against <see cref="GetHashCode"/>'s
    /// seeded rounds. Every bit reaches the low bits a cache indexes by: the ids a lookup hears share long prefixes, so the
    /// first bytes alone would put them in one slot. Not seeded: ids chosen to share a hash do, which in such a cache costs
    /// misses only; dictionaries keyed by ids, where it would cost time, use <see cref="GetHashCode"/>.
    /// </summary>
    internal int CacheHash()
    {
        var folded = _high ^ _middle ^ _low;
        return (int)(((folded ^ (folded >> 32)) * 0x9E3779B97F4A7C15UL) >> 32);
    }

    /// <summary>40 lowercase hexadecimal digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The first 8 hexadecimal digits, for logs and display.</summary>
    public string ToShortString() => ToString()[..8];

    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;
}

using System.Buffers.Binary;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Wire;

/// <summary>Flags a Liaa requester carries in its message ids (byte 7), so even a plain first datagram says them.</summary>
[Flags]
public enum LiaaIdFlags : byte
{
    None = 0,

    /// <summary>The requester is a short-lived client: do not add it to routing tables.</summary>
    ClientMode = 1,
}

/// <summary>
/// The 20-byte rpcudp message id. Python peers draw 20 random bytes and echo them in the response.
/// A Liaa requester's ids begin with a 6-byte marker, a protocol version byte and a flags byte,
/// followed by 12 random bytes: to a Python peer they are just random bytes, to a Liaa responder
/// they say "answer me in the extended form" (DESIGN.md, "carry more between Liaa nodes").
/// </summary>
public readonly struct MessageId : IEquatable<MessageId>
{
    public const int Length = 20;

    /// <summary>The Liaa protocol version carried in marked ids and extended headers.</summary>
    public const byte LiaaProtocolVersion = 1;

    // "LIAA" followed by two fixed bytes; a Python id starts with this by chance once in 2^48.
    private const ulong MarkerMask = 0xFFFF_FFFF_FFFF_0000;
    private const ulong Marker = 0x4C49_4141_D70E_0000;

    // Random bytes a Liaa id takes (after the marker, version and flags), and ids drawn per refill of a thread's buffer.
    private const int RandomBytes = Length - 8;
    private const int IdsPerRefill = 256;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_randomOffset;

    private readonly ulong _a; // bytes 0..7
    private readonly ulong _b; // bytes 8..15
    private readonly uint _c;  // bytes 16..19

    private MessageId(ulong a, ulong b, uint c)
    {
        _a = a;
        _b = b;
        _c = c;
    }

    /// <summary>A plain random id, as a Python peer makes them (from <paramref name="random"/>: test vectors and benchmarks).</summary>
    public static MessageId NewRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Length];
        random.NextBytes(bytes);
        return Read(bytes);
    }

    /// <summary>
    /// A Liaa-marked id with <paramref name="flags"/> and 12 bytes from the operating system's cryptographic
    /// generator: the id is all that binds a response to its request, so nobody may predict it. Every
    /// request an <c>RpcEndpoint</c> sends carries one of these. The generator is asked for 256 ids' worth
    /// at a time into a buffer of the calling thread (one call into it costs about as much as sending the
    /// datagram); each byte is used once.
    /// </summary>
    public static MessageId NewLiaa(LiaaIdFlags flags = LiaaIdFlags.None)
    {
        var random = t_random;
        var offset = t_randomOffset;
        if (random is null || offset + RandomBytes > random.Length)
        {
            random = t_random ??= new byte[RandomBytes * IdsPerRefill];
            SecureRandom.Fill(random);
            offset = 0;
        }

        Span<byte> bytes = stackalloc byte[Length];
        random.AsSpan(offset, RandomBytes).CopyTo(bytes[8..]);
        random.AsSpan(offset, RandomBytes).Clear();
        t_randomOffset = offset + RandomBytes;
        return Marked(bytes, flags);
    }

    /// <summary>A Liaa-marked id whose 12 random bytes come from <paramref name="random"/>: for reproducible test vectors and benchmarks only, never for a request on the wire.</summary>
    public static MessageId NewLiaa(Random random, LiaaIdFlags flags = LiaaIdFlags.None)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Length];
        random.NextBytes(bytes);
        return Marked(bytes, flags);
    }

    private static MessageId Marked(Span<byte> bytes, LiaaIdFlags flags)
    {
        BinaryPrimitives.WriteUInt64BigEndian(bytes, Marker | ((ulong)LiaaProtocolVersion << 8) | (byte)flags);
        return Read(bytes);
    }

    /// <summary>Reads an id from the first 20 bytes of <paramref name="bytes"/>.</summary>
    public static MessageId Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
        {
            throw new ArgumentException($"A message id is {Length} bytes.", nameof(bytes));
        }

        return new MessageId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>Whether the id carries the Liaa marker (the sender is a Liaa node).</summary>
    public bool IsLiaa => (_a & MarkerMask) == Marker;

    /// <summary>The Liaa protocol version of a marked id (0 when unmarked).</summary>
    public byte LiaaVersion => IsLiaa ? (byte)(_a >> 8) : (byte)0;

    /// <summary>The flags of a marked id (<see cref="LiaaIdFlags.None"/> when unmarked).</summary>
    public LiaaIdFlags Flags => IsLiaa ? (LiaaIdFlags)(byte)_a : LiaaIdFlags.None;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _c);
    }

    public byte[] ToByteArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public bool Equals(MessageId other) => _a == other._a && _b == other._b && _c == other._c;

    public override bool Equals(object? obj) => obj is MessageId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);

    /// <summary>
    /// A 64-bit keyed digest of the id mixed into <paramref name="seed"/>, for sets that remember many ids in little
    /// memory (<c>CompletedCallIds</c>, <c>RecentRequestIds</c>): two different ids share one with a chance of about 2^-64.
    /// </summary>
    internal ulong Fingerprint(ulong seed) => Mix(Mix(Mix(seed ^ _a) ^ _b) ^ _c);

    /// <summary>The 64-bit finaliser of MurmurHash3: every input bit changes about half the output bits.</summary>
    internal static ulong Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xFF51_AFD7_ED55_8CCD;
        value ^= value >> 33;
        value *= 0xC4CE_B9FE_1A85_EC53;
        return value ^ (value >> 33);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public static bool operator ==(MessageId left, MessageId right) => left.Equals(right);

    public static bool operator !=(MessageId left, MessageId right) => !left.Equals(right);
}

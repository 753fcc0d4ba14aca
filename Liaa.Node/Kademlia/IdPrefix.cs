namespace Liaa.Node.Kademlia;

/// <summary>
/// Arithmetic on id prefixes: a bucket's range is every id that shares the first <c>depth</c> bits of
/// its lowest id, like a CIDR block. Cold paths only (splits, snapshots, refresh targets).
/// </summary>
internal static class IdPrefix
{
    /// <summary>Number of leading bits <paramref name="a"/> and <paramref name="b"/> share (160 when equal).</summary>
    public static int CommonLength(NodeId a, NodeId b) => (a ^ b).LeadingZeroCount();

    /// <summary>Whether <paramref name="id"/> begins with the first <paramref name="depth"/> bits of <paramref name="low"/>.</summary>
    public static bool Covers(NodeId low, int depth, NodeId id) => CommonLength(low, id) >= depth;

    /// <summary>The first <paramref name="depth"/> bits of <paramref name="prefix"/> followed by the rest of <paramref name="suffix"/>.</summary>
    public static NodeId Combine(NodeId prefix, int depth, NodeId suffix)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, NodeId.BitLength);
        Span<byte> high = stackalloc byte[NodeId.ByteLength];
        Span<byte> low = stackalloc byte[NodeId.ByteLength];
        prefix.WriteTo(high);
        suffix.WriteTo(low);
        for (var i = 0; i < NodeId.ByteLength; i++)
        {
            var bits = Math.Clamp(depth - (8 * i), 0, 8);
            var mask = (byte)(0xFF00 >> bits);
            high[i] = (byte)((high[i] & mask) | (low[i] & ~mask));
        }

        return NodeId.FromBytes(high);
    }

    /// <summary>The lowest id of the range: the prefix followed by zeros.</summary>
    public static NodeId Lowest(NodeId prefix, int depth) => Combine(prefix, depth, NodeId.Zero);

    /// <summary>The highest id of the range: the prefix followed by ones.</summary>
    public static NodeId Highest(NodeId prefix, int depth) => Combine(prefix, depth, NodeId.Max);

    /// <summary>A uniformly random id of the range.</summary>
    public static NodeId Random(NodeId prefix, int depth, Random random) => Combine(prefix, depth, NodeId.Random(random));
}

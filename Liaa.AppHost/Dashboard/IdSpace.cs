using System.Globalization;
using Liaa.Node.Kademlia;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// Where ids sit in the 160-bit space, for drawing: a position on the ring and XOR distances as bit
/// counts (Kademlia §2.1: the distance's highest set bit is what decides a bucket).
/// </summary>
internal static class IdSpace
{
    /// <summary>The id's place on the ring as a fraction of 2¹⁶⁰ in [0, 1), from its top 52 bits (all a double keeps).</summary>
    public static double RingPosition(string hexId)
    {
        if (hexId.Length < 13 || !long.TryParse(hexId.AsSpan(0, 13), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var top))
        {
            return 0;
        }

        return top / (double)(1L << 52);
    }

    /// <summary>
    /// The length in bits of the XOR distance between two ids: 0 when they are equal, 160 when they
    /// differ in the top bit. Null when either is not a 40-hex-digit id.
    /// </summary>
    public static int? DistanceBits(string? a, string? b)
    {
        if (!NodeId.TryParse(a, out var left) || !NodeId.TryParse(b, out var right))
        {
            return null;
        }

        var distance = left ^ right;
        return distance == NodeId.Zero ? 0 : distance.HighestBit + 1;
    }

    /// <summary>The id a key is stored under: SHA-1 of the string, or the digest itself when <paramref name="isDigest"/>.</summary>
    public static bool TryKeyId(string key, bool isDigest, out NodeId id)
    {
        if (!isDigest)
        {
            id = NodeId.FromKey(key);
            return true;
        }

        return NodeId.TryParse(key, out id);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Liaa.Explorer;

/// <summary>
/// A 160-bit Kademlia id or key as the explorer needs it: parsed from the nodes' hex, XOR distance,
/// and a place on the ring. Keys are SHA-1 of their UTF-8 string, as Liaa and the Python peers hash them.
/// </summary>
/// <remarks>The explorer reads ids from the nodes' JSON; it does not reference Liaa.Node's own NodeId.</remarks>
internal readonly record struct Id160(string Hex)
{
    public static bool TryParse(string? hex, out Id160 id)
    {
        id = default;
        if (hex is not { Length: 40 } || !hex.All(Uri.IsHexDigit))
        {
            return false;
        }

        id = new Id160(hex.ToLowerInvariant());
        return true;
    }

    public static Id160 FromKey(string key) => new(Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(key))));

    /// <summary>The id's place on the ring as a fraction of 2¹⁶⁰ in [0, 1), from its top 52 bits.</summary>
    public double RingPosition => long.Parse(Hex.AsSpan(0, 13), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) / (double)(1L << 52);

    /// <summary>The XOR distance to <paramref name="other"/>, as 20 big-endian bytes (comparable byte by byte).</summary>
    public byte[] Distance(Id160 other)
    {
        var a = Convert.FromHexString(Hex);
        var b = Convert.FromHexString(other.Hex);
        for (var i = 0; i < a.Length; i++)
        {
            a[i] ^= b[i];
        }

        return a;
    }

    /// <summary>The length in bits of the XOR distance (Kademlia §2.1: its highest set bit picks the bucket); 0 when equal.</summary>
    public int DistanceBits(Id160 other)
    {
        var distance = Distance(other);
        for (var i = 0; i < distance.Length; i++)
        {
            if (distance[i] != 0)
            {
                return ((distance.Length - i) * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)distance[i]) + 24;
            }
        }

        return 0;
    }

    /// <summary>Orders ids by XOR distance from a target.</summary>
    public static IComparer<Id160> ByDistanceFrom(Id160 target) =>
        Comparer<Id160>.Create((x, y) => x.Distance(target).AsSpan().SequenceCompareTo(y.Distance(target)));

    public override string ToString() => Hex;
}

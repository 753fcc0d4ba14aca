using System.Net;
using System.Net.Sockets;

namespace Liaa.Node.Kademlia;

/// <summary>
/// The network an address belongs to for the routing table's diversity limits: its /24 for IPv4, its /48
/// for IPv6 (a typical site allocation). One operator easily holds a whole /24 or /48, so counting
/// contacts per prefix, not per address, is what keeps one party from filling a table (an eclipse attack).
/// </summary>
internal readonly record struct NetworkPrefix(ulong Bits, bool IsIPv6)
{
    /// <summary>The prefix of <paramref name="address"/>; null for loopback, which is exempt (local clusters).</summary>
    public static NetworkPrefix? Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return new NetworkPrefix(((ulong)bytes[0] << 16) | ((ulong)bytes[1] << 8) | bytes[2], IsIPv6: false);
        }

        ulong bits = 0;
        for (var i = 0; i < 6; i++)
        {
            bits = (bits << 8) | bytes[i];
        }

        return new NetworkPrefix(bits, IsIPv6: true);
    }

    public override string ToString() => IsIPv6
        ? $"{Bits >> 32:x4}:{(Bits >> 16) & 0xffff:x4}:{Bits & 0xffff:x4}::/48"
        : $"{Bits >> 16}.{(Bits >> 8) & 0xff}.{Bits & 0xff}.0/24";
}

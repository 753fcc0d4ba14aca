using System.Net;
using System.Net.Sockets;

namespace Liaa.Node.Kademlia;

/// <summary>
/// Which endpoints can be a peer: not port 0, not an unspecified, broadcast or multicast address. Contacts
/// with such an endpoint are refused by the routing table and skipped by lookups, so a hostile or
/// confused response cannot make this node send to them.
/// </summary>
internal static class PeerEndPoint
{
    public static bool IsUsable(IPEndPoint? endPoint)
    {
        if (endPoint is null || endPoint.Port == 0)
        {
            return false;
        }

        var address = endPoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> bytes = stackalloc byte[4];
            address.TryWriteBytes(bytes, out _);
            var first = bytes[0];

            // 0.0.0.0/8 ("this network"), 224.0.0.0/4 multicast and 255.255.255.255 broadcast are never a peer.
            return first != 0 && (first & 0xF0) != 0xE0 && !address.Equals(IPAddress.Broadcast);
        }

        return !address.Equals(IPAddress.IPv6Any) && !address.IsIPv6Multicast;
    }
}

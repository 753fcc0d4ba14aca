using System.Net;

namespace Liaa.Node.Storage;

/// <summary>Who asked to store a value: the UDP source address of a STORE (never the port), and whether it said when the value was published.</summary>
/// <param name="Address">The source address; every port of one address is one sender, so more sockets buy no more room.</param>
/// <param name="HasPublicationTime">
/// Whether the STORE carried a publication time (Liaa peers do, Python peers do not). Without one the store
/// counts the value as published now, which proves nothing about which copy is newer.
/// </param>
internal sealed record StoreSender(IPAddress Address, bool HasPublicationTime)
{
    /// <summary>The sender of a STORE from <paramref name="source"/>, IPv4-mapped IPv6 seen as the IPv4 address it is.</summary>
    public static StoreSender From(IPEndPoint source, bool hasPublicationTime)
    {
        ArgumentNullException.ThrowIfNull(source);
        var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
        return new StoreSender(address, hasPublicationTime);
    }
}

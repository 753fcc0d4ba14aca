using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>
/// A node as others know it: its id and the UDP endpoint it is reached at (Kademlia's "triple"
/// of IP address, UDP port and node id). Immutable; two contacts are equal when id and endpoint are.
/// </summary>
public sealed record Contact(NodeId Id, IPEndPoint EndPoint)
{
    public override string ToString() => $"{Id.ToShortString()}@{EndPoint}";
}

using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>
/// A node as others know it: its id and the UDP endpoint it is reached at (Kademlia's "triple"
/// of IP address, UDP port and node id). Immutable; two contacts are equal when id and endpoint are.
/// </summary>
public sealed record Contact(NodeId Id, IPEndPoint EndPoint)
{
    /// <summary>
    /// The contact as a FIND_NODE answer lists it (<c>[id, ip, port]</c> in MessagePack), once the codec wrote it: a
    /// contact of the routing table is handed out again and again, and copying its bytes costs a fraction of formatting
    /// its address each time. Written by <c>WireCodec</c> only; a race writes the same bytes twice. Not part of equality.
    /// </summary>
    internal byte[]? WireForm { get; set; }

    // A copy (`with`) starts without the original's bytes: they are its id's and endpoint's.
    private Contact(Contact original)
    {
        Id = original.Id;
        EndPoint = original.EndPoint;
    }

    public bool Equals(Contact? other) =>
        other is not null && (ReferenceEquals(this, other) || (Id == other.Id && EndPoint.Equals(other.EndPoint)));

    public override int GetHashCode() => HashCode.Combine(Id, EndPoint);

    public override string ToString() => $"{Id.ToShortString()}@{EndPoint}";
}

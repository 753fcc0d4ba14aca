using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Wire;

/// <summary>
/// What a decoder given no <see cref="ContactPool"/> (a real node) reuses instead of allocating again: the contacts
/// (IPv4) of recent FIND_NODE and FIND_VALUE answers, the recent PING answers and the recent PING requests, each in a small
/// table (contacts: two slots per set of id hashes, the newer entry first, the older of the two forgotten; PINGs: one
/// slot per id hash), so the memory is bounded whatever peers send.
/// </summary>
/// <remarks>
/// A lookup hears the same contacts again and again (every peer near the target names the same k closest), and a node
/// pings the same peers: an answer naming a contact decoded a moment ago gives the same <see cref="Kademlia.Contact"/>, its id,
/// port and address compared without parsing into an object. Without this a FIND_NODE answer of k = 20 contacts cost
/// 60 objects (~2.3 KB). <see cref="Kademlia.Contact"/> and <see cref="PingResponse"/> are immutable values (an endpoint they
/// hold is not to be mutated, as everywhere in Liaa), so one instance may serve every endpoint of the process: the
/// tables are shared. Slots are read and written without locks; a reference write is atomic, and a lost race costs
/// one allocation.
/// </remarks>
internal static class RecentlyDecoded
{
    // 512 contacts (~65 KB at most): several lookups' worth of distinct contacts.
    private const int ContactSlots = 512;
    private const int PingSlots = 64;
    private const int Ways = 2;

    private static readonly Contact?[] Contacts = new Contact?[ContactSlots];
    private static readonly PingResponse?[] Pings = new PingResponse?[PingSlots];
    private static readonly PingRequest?[] PingRequests = new PingRequest?[PingSlots];

    /// <summary>The contact <paramref name="id"/> at <paramref name="octets"/> (an IPv4 address) and <paramref name="port"/>: a recent one when it is equal, else a new one, remembered.</summary>
    public static Contact Contact(NodeId id, ReadOnlySpan<byte> octets, int port)
    {
        var set = SetOf(id);
        for (var i = set; i < set + Ways; i++)
        {
            var recent = Contacts[i];
            if (recent is not null && recent.Id == id && recent.EndPoint.Port == port && HasAddress(recent.EndPoint.Address, octets))
            {
                return recent;
            }
        }

        return Remember(set, new Contact(id, new IPEndPoint(new IPAddress(octets), port)));
    }

    /// <summary>
    /// The contact <paramref name="id"/> at <paramref name="endPoint"/> (a request's sender at its datagram's source, as the
    /// routing table observes it): a recent one when it is equal, else a new one, remembered. A peer's every request
    /// then costs no contact, and the contact is the one its peers' FIND_NODE answers name.
    /// </summary>
    public static Contact Contact(NodeId id, IPEndPoint endPoint)
    {
        var set = SetOf(id);
        for (var i = set; i < set + Ways; i++)
        {
            var recent = Contacts[i];
            if (recent is not null && recent.Id == id && (ReferenceEquals(recent.EndPoint, endPoint) || recent.EndPoint.Equals(endPoint)))
            {
                return recent;
            }
        }

        return Remember(set, new Contact(id, endPoint));
    }

    /// <summary>The answer to a PING from <paramref name="responder"/>: a recent one, else a new one, remembered.</summary>
    public static PingResponse Ping(NodeId responder)
    {
        ref var slot = ref Pings[responder.CacheHash() & (PingSlots - 1)];
        var recent = slot;
        if (recent is not null && recent.Responder == responder)
        {
            return recent;
        }

        var response = new PingResponse(responder);
        slot = response;
        return response;
    }

    /// <summary>
    /// A PING from <paramref name="sender"/>: a recent one, else a new one, remembered. A node is pinged by the same peers
    /// again and again (each checks its contacts are alive), and the request is an immutable value the handler only reads.
    /// </summary>
    public static PingRequest PingFrom(NodeId sender)
    {
        ref var slot = ref PingRequests[sender.CacheHash() & (PingSlots - 1)];
        var recent = slot;
        if (recent is not null && recent.Sender == sender)
        {
            return recent;
        }

        var request = new PingRequest(sender);
        slot = request;
        return request;
    }

    /// <summary>Whether the table holds <paramref name="contact"/> itself (for tests).</summary>
    internal static bool Holds([NotNullWhen(true)] Contact? contact) =>
        contact is not null && Array.IndexOf(Contacts, contact, SetOf(contact.Id), Ways) >= 0;

    // The first slot of the id's set (NodeId.CacheHash: a decode looks an id up once per contact, and GetHashCode's seeded
    // rounds made a PING answer's decode slower than the allocation it saves). Two ids of one answer share a set now and
    // then (20 contacts in 256 sets), and a direct-mapped table would have them evict each other on every answer.
    internal static int SetOf(NodeId id) => (id.CacheHash() & ((ContactSlots / Ways) - 1)) * Ways;

    // The newest first: the set's first entry moves to the second, the second is forgotten.
    private static Contact Remember(int set, Contact contact)
    {
        Contacts[set + 1] = Contacts[set];
        Contacts[set] = contact;
        return contact;
    }

    private static bool HasAddress(IPAddress address, ReadOnlySpan<byte> octets)
    {
        Span<byte> bytes = stackalloc byte[4];
        return address.AddressFamily == AddressFamily.InterNetwork
            && address.TryWriteBytes(bytes, out var written) && written == 4
            && bytes.SequenceEqual(octets);
    }
}

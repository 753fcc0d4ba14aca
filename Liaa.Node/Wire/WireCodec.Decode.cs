using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Wire;

public static partial class WireCodec
{
    // The least a contact can take on the wire: fixarray, bin8 of 20, "::" as fixstr, a fixint port.
    // Used only to size the contact array without trusting the count; the decoder does not depend on it.
    private const int MinContactSize = 1 + 22 + 3 + 1;

    // Longest ip text accepted: IPv6 (45 characters) with a scope such as "%eth0" or "%4294967295".
    private const int MaxAddressTextLength = 64;

    // Contacts of a list noted on the stack (k = 20 and then some); a longer list rents its notes.
    private const int StackListedContacts = 32;

    /// <summary>
    /// Decodes a request body (<c>envelope.GetBody(datagram)</c>) into a typed request. A store read
    /// from an extended datagram gets the header's publication time and cache TTL.
    /// </summary>
    public static bool TryDecodeRequest(
        ReadOnlySpan<byte> body,
        in DatagramEnvelope envelope,
        [NotNullWhen(true)] out RpcRequest? request,
        out DropReason reason)
    {
        request = null;
        if (envelope.Kind != DatagramKind.Request)
        {
            reason = DropReason.UnknownType;
            return false;
        }

        if (!TryCheckStructure(body, out reason))
        {
            return false;
        }

        var reader = new MessagePackReader(body);
        if (!reader.TryReadArrayHeader(out var count) || count != 2 || !reader.TryReadStringSpan(out var name))
        {
            reason = DropReason.WrongShape;
            return false;
        }

        if (!TryParseMethod(name, out var method))
        {
            reason = DropReason.UnknownMethod;
            return false;
        }

        if (!reader.TryReadArrayHeader(out var arguments) || arguments != ArgumentCount(method))
        {
            reason = DropReason.WrongShape;
            return false;
        }

        NodeId sender = default, second = default;
        if (method != RpcMethod.Stun
            && (!TryReadId(ref reader, out sender, out reason)
                || (arguments > 1 && !TryReadId(ref reader, out second, out reason))))
        {
            return false;
        }

        switch (method)
        {
            case RpcMethod.Ping:
                // A peer's pings are the same immutable value: reused (see RecentlyDecoded).
                request = RecentlyDecoded.PingFrom(sender);
                break;
            case RpcMethod.Store:
                if (!DhtValue.TryRead(ref reader, out var value))
                {
                    reason = DropReason.InvalidValue;
                    return false;
                }

                request = new StoreRequest(sender, second, value)
                {
                    PublishedAt = envelope.PublishedAt,
                    CacheTtl = envelope.CacheTtl,
                };
                break;
            case RpcMethod.FindNode:
                request = new FindNodeRequest(sender, second);
                break;
            case RpcMethod.FindValue:
                request = new FindValueRequest(sender, second);
                break;
            default:
                request = new StunRequest();
                break;
        }

        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Decodes a response body (<c>envelope.GetBody(datagram)</c>) as the answer to a
    /// <paramref name="method"/> request: the body alone does not say which RPC it answers.
    /// </summary>
    public static bool TryDecodeResponse(
        RpcMethod method,
        ReadOnlySpan<byte> body,
        in DatagramEnvelope envelope,
        [NotNullWhen(true)] out RpcResponse? response,
        out DropReason reason) =>
        TryDecodePooledResponse(method, body, envelope, contacts: null, out response, out reason);

    /// <summary>
    /// <see cref="TryDecodeResponse"/>, taking each contact an answer lists from <paramref name="contacts"/> when the pool has it (same id, port and address
    /// text), instead of parsing its address and allocating it; a contact not yet pooled is decoded as always and pooled.
    /// A simulated node's RPC layer passes the simulation's pool; a real node's passes none.
    /// </summary>
    public static bool TryDecodePooledResponse(
        RpcMethod method,
        ReadOnlySpan<byte> body,
        in DatagramEnvelope envelope,
        ContactPool? contacts,
        [NotNullWhen(true)] out RpcResponse? response,
        out DropReason reason)
    {
        response = null;
        if (envelope.Kind != DatagramKind.Response)
        {
            reason = DropReason.UnknownType;
            return false;
        }

        // A contact list (FIND_NODE, a FIND_VALUE miss) is read token by token with every type and length checked, so
        // reading it is the structural check, and the scan before it would be a second pass over most of the answer
        // (a quarter of the client's decoding of k = 20 contacts). Only on a failure or bytes left over is the scan run,
        // so the drop reason is the one it would have given first. Anything else is scanned before it is built.
        var reader = new MessagePackReader(body);
        var checkedAsRead = method == RpcMethod.FindNode
            || (method == RpcMethod.FindValue && reader.TryPeekType(out var first) && first == MessagePackType.Array);
        if (!checkedAsRead && !TryCheckStructure(body, out reason))
        {
            return false;
        }

        if (!TryDecodeResponseBody(method, body, ref reader, envelope, contacts, out response, out reason) || (checkedAsRead && !reader.End))
        {
            if (checkedAsRead && !TryCheckStructure(body, out var malformed))
            {
                reason = malformed;
            }

            response = null;
            return false;
        }

        return true;
    }

    private static bool TryDecodeResponseBody(
        RpcMethod method,
        ReadOnlySpan<byte> body,
        ref MessagePackReader reader,
        in DatagramEnvelope envelope,
        ContactPool? contacts,
        [NotNullWhen(true)] out RpcResponse? response,
        out DropReason reason)
    {
        response = null;
        switch (method)
        {
            case RpcMethod.Ping:
                if (!TryReadId(ref reader, out var responder, out reason))
                {
                    return false;
                }

                // A real node's answers from one peer are the same immutable value: reused (see RecentlyDecoded).
                response = contacts is null ? RecentlyDecoded.Ping(responder) : new PingResponse(responder);
                break;
            case RpcMethod.Store:
                if (!reader.TryReadBoolean(out var stored))
                {
                    reason = DropReason.WrongArgumentType;
                    return false;
                }

                response = new StoreResponse(stored);
                break;
            case RpcMethod.FindNode:
                if (!TryReadContacts(ref reader, body, contacts, out var listed, out reason))
                {
                    return false;
                }

                response = new FindNodeResponse(listed);
                break;
            case RpcMethod.FindValue:
                if (!TryReadFindValue(ref reader, body, envelope, contacts, out var findValue, out reason))
                {
                    return false;
                }

                response = findValue;
                break;
            case RpcMethod.Stun:
                // Python answers with its socket's peer address tuple: (ip, port) over IPv4,
                // (ip, port, flowinfo, scope_id) over IPv6. The ip text carries any scope already.
                if (!reader.TryReadArrayHeader(out var count) || count is not (2 or 4))
                {
                    reason = DropReason.WrongShape;
                    return false;
                }

                // flowinfo and scope_id are checked first, so nothing is built for a datagram that fails.
                var extras = reader;
                if (count == 4 && !(extras.TrySkip() && extras.TrySkip() && extras.TryReadInteger(out _) && extras.TryReadInteger(out _)))
                {
                    reason = DropReason.WrongArgumentType;
                    return false;
                }

                if (!TryReadEndPoint(ref reader, out var endPoint, out reason))
                {
                    return false;
                }

                response = new StunResponse(endPoint);
                break;
            default:
                reason = DropReason.UnknownMethod;
                return false;
        }

        reason = DropReason.None;
        return true;
    }

    private static int ArgumentCount(RpcMethod method) => method switch
    {
        RpcMethod.Ping => 1,
        RpcMethod.Store => 3,
        RpcMethod.Stun => 0,
        _ => 2,
    };

    // One pass over the whole body before anything is built: it must be exactly one well-formed
    // value, not too deep. Afterwards every count and length is known to fit, and allocation can
    // only follow from bytes that are really there.
    private static bool TryCheckStructure(ReadOnlySpan<byte> body, out DropReason reason)
    {
        var reader = new MessagePackReader(body);
        if (!reader.TrySkip(MaxDepth, out var tooDeep))
        {
            reason = tooDeep ? DropReason.TooDeep : DropReason.MalformedBody;
            return false;
        }

        reason = reader.End ? DropReason.None : DropReason.TrailingBytes;
        return reader.End;
    }

    private static bool TryReadId(ref MessagePackReader reader, out NodeId id, out DropReason reason)
    {
        id = default;
        if (!reader.TryReadBinary(out var bytes))
        {
            reason = DropReason.WrongArgumentType;
            return false;
        }

        if (!NodeId.TryFromBytes(bytes, out id))
        {
            reason = DropReason.WrongIdLength;
            return false;
        }

        reason = DropReason.None;
        return true;
    }

    private static bool TryReadFindValue(
        ref MessagePackReader reader,
        ReadOnlySpan<byte> body,
        in DatagramEnvelope envelope,
        ContactPool? pool,
        [NotNullWhen(true)] out FindValueResponse? response,
        out DropReason reason)
    {
        response = null;
        reader.TryPeekType(out var type);
        if (type == MessagePackType.Array)
        {
            if (!TryReadContacts(ref reader, body, pool, out var contacts, out reason))
            {
                return false;
            }

            response = FindValueResponse.Miss(contacts);
            return true;
        }

        if (type != MessagePackType.Map
            || !reader.TryReadMapHeader(out var count)
            || count != 1
            || !reader.TryReadStringSpan(out var key)
            || !key.SequenceEqual("value"u8))
        {
            reason = DropReason.WrongShape;
            return false;
        }

        if (!DhtValue.TryRead(ref reader, out var value))
        {
            reason = DropReason.InvalidValue;
            return false;
        }

        response = FindValueResponse.Hit(value, envelope.PublishedAt);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Reads a contact list in two passes: the first checks every token (shape, types, lengths) and notes each contact's
    /// id and where its address starts, allocating nothing; only a list that is sound and ends the body (every contact
    /// list is the whole answer) is built, so a bad answer allocates nothing for its contacts.
    /// </summary>
    private static bool TryReadContacts(ref MessagePackReader reader, ReadOnlySpan<byte> body, ContactPool? pool, out Contact[] contacts, out DropReason reason)
    {
        contacts = [];
        if (!reader.TryReadArrayHeader(out var count))
        {
            reason = DropReason.WrongShape;
            return false;
        }

        // The count is only bounded by the bytes; size the notes by what could really be contacts.
        var bound = Math.Min(count, (reader.Remaining / MinContactSize) + 1);
        ListedContact[]? rented = null;
        var listed = bound <= StackListedContacts
            ? stackalloc ListedContact[StackListedContacts]
            : (rented = ArrayPool<ListedContact>.Shared.Rent(bound));
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (i == listed.Length || !reader.TryReadArrayHeader(out var fields) || fields != 3)
                {
                    reason = DropReason.WrongShape;
                    return false;
                }

                if (!TryReadId(ref reader, out var id, out reason))
                {
                    return false;
                }

                var addressAt = reader.Position;
                if (!reader.TryReadStringSpan(out _) || !reader.TryReadInteger(out _))
                {
                    reason = DropReason.WrongArgumentType;
                    return false;
                }

                listed[i] = new ListedContact(id, addressAt);
            }

            if (!reader.End)
            {
                reason = DropReason.TrailingBytes;
                return false;
            }

            var result = count == 0 ? [] : new Contact[count];
            var kept = 0;
            for (var i = 0; i < count; i++)
            {
                var address = new MessagePackReader(body[listed[i].AddressAt..]);
                var id = listed[i].Id;
                if (pool is null
                    ? TryReadContact(ref address, id, out var contact, out reason)
                    : TryReadPooled(ref address, pool, id, out contact, out reason))
                {
                    result[kept++] = contact;
                }
                else if (reason != DropReason.InvalidAddress)
                {
                    return false;
                }

                // A well-formed contact whose address Liaa cannot use ('localhost', which a Python node bootstrapped
                // by name hands out as written, or port 0) costs that contact only, never the whole answer.
            }

            contacts = kept == result.Length ? result : result[..kept];
            reason = DropReason.None;
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<ListedContact>.Shared.Return(rented);
            }
        }
    }

    // A contact read but not yet built: its id and where its address text starts in the body.
    private readonly record struct ListedContact(NodeId Id, int AddressAt);

    /// <summary>
    /// A contact's endpoint, given its id, without a pool: an IPv4 contact is parsed without allocating and taken from
    /// <see cref="RecentlyDecoded"/> (the same contact as a recent answer's when equal); IPv6 is decoded as always.
    /// </summary>
    private static bool TryReadContact(ref MessagePackReader reader, NodeId id, [NotNullWhen(true)] out Contact? contact, out DropReason reason)
    {
        contact = null;
        var start = reader;
        if (!reader.TryReadStringSpan(out var text) || !reader.TryReadInteger(out var port))
        {
            reason = DropReason.WrongArgumentType;
            return false;
        }

        if (port > IPEndPoint.MinPort && port <= IPEndPoint.MaxPort && text.IndexOf((byte)':') < 0)
        {
            // What TryParseAddress does with text that is no IPv6, minus the IPAddress.
            Span<byte> octets = stackalloc byte[4];
            if (!TryParseDottedQuad(text, octets))
            {
                reason = DropReason.InvalidAddress;
                return false;
            }

            contact = RecentlyDecoded.Contact(id, octets, (int)port);
            reason = DropReason.None;
            return true;
        }

        reader = start;
        if (!TryReadEndPoint(ref reader, out var endPoint, out reason))
        {
            return false;
        }

        contact = new Contact(id, endPoint);
        return true;
    }

    /// <summary>A contact's endpoint, given its id: the pool's contact when it has that wire form, else decoded and pooled.</summary>
    private static bool TryReadPooled(ref MessagePackReader reader, ContactPool pool, NodeId id, [NotNullWhen(true)] out Contact? contact, out DropReason reason)
    {
        contact = null;
        var start = reader;
        if (!reader.TryReadStringSpan(out var text) || !reader.TryReadInteger(out var port))
        {
            reason = DropReason.WrongArgumentType;
            return false;
        }

        if (port > IPEndPoint.MinPort && port <= IPEndPoint.MaxPort && pool.TryGet(id, text, (int)port, out contact))
        {
            reason = DropReason.None;
            return true;
        }

        reader = start;
        if (!TryReadEndPoint(ref reader, out var endPoint, out reason))
        {
            return false;
        }

        contact = pool.Intern(new Contact(id, endPoint), text);
        return true;
    }

    private static bool TryReadEndPoint(ref MessagePackReader reader, [NotNullWhen(true)] out IPEndPoint? endPoint, out DropReason reason)
    {
        endPoint = null;
        if (!reader.TryReadStringSpan(out var text) || !reader.TryReadInteger(out var port))
        {
            reason = DropReason.WrongArgumentType;
            return false;
        }

        // The port first: the address is the one allocation, made only for a usable endpoint.
        if (port < IPEndPoint.MinPort + 1 || port > IPEndPoint.MaxPort || !TryParseAddress(text, out var address))
        {
            reason = DropReason.InvalidAddress;
            return false;
        }

        endPoint = new IPEndPoint(address, (int)port);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// IPv4 must be the dotted quad Python writes (no "127.1", leading zeros, octal or hex forms that
    /// IPAddress tolerates), and is parsed here without IPAddress's general parser, since contacts
    /// are most of a find_node response. IPv6 is taken as IPAddress parses it, since formatting
    /// details (scope names, compression) differ between stacks, but never with brackets or a port.
    /// </summary>
    private static bool TryParseAddress(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (utf8.IsEmpty || utf8.Length > MaxAddressTextLength)
        {
            return false;
        }

        if (utf8.IndexOf((byte)':') < 0)
        {
            Span<byte> octets = stackalloc byte[4];
            if (!TryParseDottedQuad(utf8, octets))
            {
                return false;
            }

            address = new IPAddress(octets);
            return true;
        }

        if (utf8.IndexOfAny("[]/ \t\r\n"u8) >= 0 || !IPAddress.TryParse(utf8, out var parsed)
            || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Four decimal octets 0..255 separated by dots, without leading zeros.</summary>
    private static bool TryParseDottedQuad(ReadOnlySpan<byte> text, Span<byte> octets)
    {
        var octet = 0;
        var position = 0;
        while (true)
        {
            var start = position;
            var value = 0;
            while (position < text.Length && position - start < 3 && (uint)(text[position] - '0') <= 9)
            {
                value = (value * 10) + (text[position] - '0');
                position++;
            }

            var digits = position - start;
            if (digits == 0 || value > byte.MaxValue || (digits > 1 && text[start] == '0'))
            {
                return false;
            }

            octets[octet++] = (byte)value;
            if (octet == 4)
            {
                return position == text.Length;
            }

            if (position == text.Length || text[position] != '.')
            {
                return false;
            }

            position++;
        }
    }
}

using System.Buffers;
using System.Net;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Wire;

/// <summary>
/// The rpcudp datagram (WIRE.md) as typed messages, plus Liaa's extended forms.
/// </summary>
/// <remarks>
/// <para>Plain form, what Python peers send and must only ever receive: type byte (0x00 request,
/// 0x01 response), 20-byte message id, MessagePack body (<c>[name, [args]]</c>, or the handler's
/// return value). <c>WriteRequest</c>/<c>WriteResponse</c> with no header produce exactly the bytes a
/// Python peer would.</para>
/// <para>Extended form, Liaa to Liaa only: type byte 0x02/0x03, the id, a MessagePack map (the Liaa
/// header: <c>v</c> version, <c>tp</c>/<c>ts</c> trace context, <c>pt</c> publication time and
/// <c>ttl</c> cache TTL in Unix/duration milliseconds; unknown keys skipped), then the same body.</para>
/// <para>Decoding is strict and never throws: the body must be exactly one value, at most
/// <see cref="MaxDepth"/> deep, of the exact shape. The whole body is checked structurally (no
/// allocation) before anything is built, so hostile lengths allocate nothing and valid bodies
/// allocate in proportion to their size; a response's contact list is instead checked by the pass that
/// reads its tokens (nothing is built until the whole list and body are sound), so it is not scanned twice. Writing throws only on records no decoder would accept
/// (a port of 0, a negative TTL): those are bugs in the caller.</para>
/// </remarks>
public static partial class WireCodec
{
    /// <summary>The largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP header bytes).</summary>
    public const int MaxDatagramSize = 65507;

    /// <summary>Python callers refuse to send request bodies (name and arguments) larger than this.</summary>
    public const int MaxPythonRequestBodySize = 8192;

    /// <summary>Type byte and message id.</summary>
    public const int PrefixSize = 1 + MessageId.Length;

    /// <summary>Python peers drop anything shorter: the prefix and at least one body byte.</summary>
    public const int MinDatagramSize = PrefixSize + 1;

    /// <summary>Deepest container nesting accepted in a body or header; Liaa's messages need 2.</summary>
    public const int MaxDepth = 16;

    /// <summary>Most entries an extended header may have (known and unknown keys together).</summary>
    public const int MaxHeaderEntries = 16;

    // fixarray, bin8 of 20, str8 of up to 64 address bytes, uint16 port.
    private const int ContactWireCapacity = 1 + 22 + 66 + 3;

    private const byte PlainRequest = 0x00;
    private const byte PlainResponse = 0x01;
    private const byte ExtendedRequest = 0x02;
    private const byte ExtendedResponse = 0x03;

    /// <summary>
    /// Reads the type byte, the message id and, in the extended form, the Liaa header. The body is
    /// not looked at: decode it with <see cref="TryDecodeRequest"/> or <see cref="TryDecodeResponse"/>.
    /// </summary>
    public static bool TryReadEnvelope(ReadOnlySpan<byte> datagram, out DatagramEnvelope envelope, out DropReason reason)
    {
        envelope = default;
        if (datagram.Length < MinDatagramSize)
        {
            reason = DropReason.TooShort;
            return false;
        }

        var type = datagram[0];
        if (type > ExtendedResponse)
        {
            reason = DropReason.UnknownType;
            return false;
        }

        var kind = type is PlainRequest or ExtendedRequest ? DatagramKind.Request : DatagramKind.Response;
        var id = MessageId.Read(datagram[1..]);
        if (type is PlainRequest or PlainResponse)
        {
            envelope = new DatagramEnvelope(kind, id, IsExtended: false, Header: null, PrefixSize);
            reason = DropReason.None;
            return true;
        }

        var reader = new MessagePackReader(datagram[PrefixSize..]);
        if (!LiaaHeaderCodec.TryRead(ref reader, out var header, out var publishedAt, out var cacheTtl))
        {
            reason = DropReason.MalformedHeader;
            return false;
        }

        if (reader.End)
        {
            reason = DropReason.TooShort;
            return false;
        }

        envelope = new DatagramEnvelope(kind, id, IsExtended: true, header, PrefixSize + reader.Position)
        {
            PublishedAt = publishedAt,
            CacheTtl = cacheTtl,
        };
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Writes a request datagram: the plain rpcudp form (Python's exact bytes) when
    /// <paramref name="header"/> is null, else the extended form carrying the header and the store's
    /// <see cref="StoreRequest.PublishedAt"/> and <see cref="StoreRequest.CacheTtl"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown request type or a negative cache TTL; thrown before anything is written.</exception>
    public static void WriteRequest(IBufferWriter<byte> output, MessageId id, RpcRequest request, LiaaHeader? header) =>
        WriteRequest(output, id, request, header, default);

    /// <summary>
    /// The same, with a traced request's context in the header in place of <paramref name="header"/>'s own (see
    /// <see cref="OutgoingTraceContext"/>): what a client writes, without a header object per traced request.
    /// </summary>
    internal static void WriteRequest(IBufferWriter<byte> output, MessageId id, RpcRequest request, LiaaHeader? header, in OutgoingTraceContext trace)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(request);
        var store = request as StoreRequest;
        switch (request)
        {
            case PingRequest or FindNodeRequest or FindValueRequest or StunRequest:
                break;
            case StoreRequest:
                ArgumentNullException.ThrowIfNull(store!.Value, nameof(request));
                if (header is not null)
                {
                    LiaaHeaderCodec.Validate(store.CacheTtl);
                }

                break;
            default:
                throw new ArgumentException($"Unknown request type {request.GetType().Name}.", nameof(request));
        }

        WritePrefix(output, header is null ? PlainRequest : ExtendedRequest, id);
        var writer = new MessagePackWriter(output);
        if (header is not null)
        {
            LiaaHeaderCodec.Write(ref writer, header, store?.PublishedAt, store?.CacheTtl, trace);
        }

        writer.WriteArrayHeader(2);
        writer.WriteStringUtf8(MethodNameUtf8(request.Method));
        switch (request)
        {
            case PingRequest ping:
                writer.WriteArrayHeader(1);
                WriteId(ref writer, ping.Sender);
                break;
            case StoreRequest:
                writer.WriteArrayHeader(3);
                WriteId(ref writer, store!.Sender);
                WriteId(ref writer, store.Key);
                writer.WriteRaw(store.Value.EncodedArray);
                break;
            case FindNodeRequest findNode:
                writer.WriteArrayHeader(2);
                WriteId(ref writer, findNode.Sender);
                WriteId(ref writer, findNode.Target);
                break;
            case FindValueRequest findValue:
                writer.WriteArrayHeader(2);
                WriteId(ref writer, findValue.Sender);
                WriteId(ref writer, findValue.Key);
                break;
            default: // StunRequest
                writer.WriteArrayHeader(0);
                break;
        }

        writer.Flush();
    }

    /// <summary>
    /// Writes a response datagram: plain (Python's exact bytes) when <paramref name="header"/> is null,
    /// else extended, carrying a find_value hit's <see cref="FindValueResponse.PublishedAt"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A find_value response with both a value and contacts, or an endpoint with port 0; thrown before anything is written.</exception>
    public static void WriteResponse(IBufferWriter<byte> output, MessageId id, RpcResponse response, LiaaHeader? header)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(response);
        ThrowIfUnwritable(response);

        WritePrefix(output, header is null ? PlainResponse : ExtendedResponse, id);
        var writer = new MessagePackWriter(output);
        if (header is not null)
        {
            var hit = response as FindValueResponse;
            LiaaHeaderCodec.Write(ref writer, header, hit?.IsHit == true ? hit.PublishedAt : null, cacheTtl: null);
        }

        switch (response)
        {
            case PingResponse ping:
                WriteId(ref writer, ping.Responder);
                break;
            case StoreResponse store:
                writer.WriteBoolean(store.Stored);
                break;
            case FindNodeResponse findNode:
                WriteContacts(ref writer, findNode.Contacts);
                break;
            case FindValueResponse { Value: { } value }:
                writer.WriteMapHeader(1);
                writer.WriteStringUtf8("value"u8);
                writer.WriteRaw(value.EncodedArray);
                break;
            case FindValueResponse miss:
                WriteContacts(ref writer, miss.Contacts);
                break;
            default:
                writer.WriteArrayHeader(2);
                WriteEndPoint(ref writer, ((StunResponse)response).EndPoint);
                break;
        }

        writer.Flush();
    }

    /// <summary>The rpcudp name of an RPC (<c>ping</c>, <c>store</c>, <c>find_node</c>, <c>find_value</c>, <c>stun</c>).</summary>
    public static string MethodName(RpcMethod m) => m switch
    {
        RpcMethod.Ping => "ping",
        RpcMethod.Store => "store",
        RpcMethod.FindNode => "find_node",
        RpcMethod.FindValue => "find_value",
        RpcMethod.Stun => "stun",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "Not an RPC."),
    };

    /// <summary>The RPC named by <paramref name="utf8Name"/> (exact, case-sensitive, as Python's <c>getattr</c> looks it up).</summary>
    public static bool TryParseMethod(ReadOnlySpan<byte> utf8Name, out RpcMethod m)
    {
        for (var candidate = RpcMethod.Ping; candidate <= RpcMethod.Stun; candidate++)
        {
            if (utf8Name.SequenceEqual(MethodNameUtf8(candidate)))
            {
                m = candidate;
                return true;
            }
        }

        m = default;
        return false;
    }

    private static ReadOnlySpan<byte> MethodNameUtf8(RpcMethod m) => m switch
    {
        RpcMethod.Ping => "ping"u8,
        RpcMethod.Store => "store"u8,
        RpcMethod.FindNode => "find_node"u8,
        RpcMethod.FindValue => "find_value"u8,
        RpcMethod.Stun => "stun"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "Not an RPC."),
    };

    private static void WritePrefix(IBufferWriter<byte> output, byte type, MessageId id)
    {
        var span = output.GetSpan(PrefixSize);
        span[0] = type;
        id.WriteTo(span[1..]);
        output.Advance(PrefixSize);
    }

    // Checked before the first byte is written, so a refused response leaves the output untouched.
    private static void ThrowIfUnwritable(RpcResponse response)
    {
        switch (response)
        {
            case FindValueResponse { Value: not null, Contacts.Count: > 0 }:
                throw new ArgumentException("A find_value response is a value or contacts, not both.", nameof(response));
            case FindValueResponse { Value: not null } or PingResponse or StoreResponse:
                break;
            case FindValueResponse { Contacts: var contacts }:
                ThrowIfUnwritable(contacts);
                break;
            case FindNodeResponse { Contacts: var contacts }:
                ThrowIfUnwritable(contacts);
                break;
            case StunResponse { EndPoint: var endPoint }:
                ThrowIfUnwritable(endPoint);
                break;
            default:
                throw new ArgumentException($"Unknown response type {response.GetType().Name}.", nameof(response));
        }
    }

    private static void ThrowIfUnwritable(IReadOnlyList<Contact> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        for (var i = 0; i < contacts.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(contacts[i], nameof(contacts));
            ThrowIfUnwritable(contacts[i].EndPoint);
        }
    }

    private static void ThrowIfUnwritable(IPEndPoint? endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.Port == 0)
        {
            throw new ArgumentException($"{endPoint} has no port; a peer would drop it.", nameof(endPoint));
        }
    }

    private static void WriteId(ref MessagePackWriter writer, NodeId id)
    {
        Span<byte> bytes = stackalloc byte[NodeId.ByteLength];
        id.WriteTo(bytes);
        writer.WriteBinary(bytes);
    }

    private static void WriteContacts(ref MessagePackWriter writer, IReadOnlyList<Contact> contacts)
    {
        writer.WriteArrayHeader(contacts.Count);
        for (var i = 0; i < contacts.Count; i++)
        {
            writer.WriteRaw(WireFormOf(contacts[i]));
        }
    }

    /// <summary>A contact's <c>[id, ip, port]</c>, written by the same calls as every other token, once per contact.</summary>
    private static byte[] WireFormOf(Contact contact)
    {
        if (contact.WireForm is { } known)
        {
            return known;
        }

        var output = new ArrayBufferWriter<byte>(ContactWireCapacity);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(3);
        WriteId(ref writer, contact.Id);
        WriteEndPoint(ref writer, contact.EndPoint);
        writer.Flush();
        var written = output.WrittenSpan.ToArray();
        contact.WireForm = written;
        return written;
    }

    private static void WriteEndPoint(ref MessagePackWriter writer, IPEndPoint endPoint)
    {
        // IPv6 text with a scope is at most 45 + 1 + 10 characters.
        Span<byte> text = stackalloc byte[64];
        if (!endPoint.Address.TryFormat(text, out var written))
        {
            throw new ArgumentException($"{endPoint.Address} does not format.", nameof(endPoint));
        }

        writer.WriteStringUtf8(text[..written]);
        writer.WriteUInt64((ulong)endPoint.Port);
    }
}

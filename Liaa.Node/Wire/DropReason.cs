namespace Liaa.Node.Wire;

/// <summary>Whether a datagram asks (type byte 0x00/0x02) or answers (0x01/0x03).</summary>
public enum DatagramKind
{
    Request,
    Response,
}

/// <summary>
/// Why an incoming datagram was dropped without a reply (WIRE.md: Python peers drop silently too).
/// The codec reports the first problem it meets; the RPC layer adds its own reasons at the end.
/// Counted per reason, so names are part of the metrics' vocabulary: add, never rename.
/// </summary>
public enum DropReason
{
    None,

    /// <summary>Under 22 bytes (type, 20-byte id, at least one body byte), or an extended header with no body after it.</summary>
    TooShort,

    /// <summary>A type byte other than 0x00–0x03.</summary>
    UnknownType,

    /// <summary>The body is not one well-formed MessagePack value (truncated, a length past the end, byte 0xc1).</summary>
    MalformedBody,

    /// <summary>Bytes follow the body's one value.</summary>
    TrailingBytes,

    /// <summary>Containers nest deeper than <see cref="WireCodec.MaxDepth"/>.</summary>
    TooDeep,

    /// <summary>A container of the wrong family or length: a request that is not <c>[name, [args]]</c>, a contact that is not a triple, and so on.</summary>
    WrongShape,

    /// <summary>The request names no RPC Liaa knows.</summary>
    UnknownMethod,

    /// <summary>An argument or field of the wrong family: an id sent as str, a port that is not an int.</summary>
    WrongArgumentType,

    /// <summary>An id or key that is a bin, but not of 20 bytes.</summary>
    WrongIdLength,

    /// <summary>An ip that is not IPv4/IPv6 text, or a port outside 1..65535.</summary>
    InvalidAddress,

    /// <summary>A value that is not an int, float, bool, UTF-8 str or bin (arrays, maps, nil, extensions).</summary>
    InvalidValue,

    /// <summary>An extended datagram whose Liaa header is missing, malformed or oversized.</summary>
    MalformedHeader,

    /// <summary>A response whose id matches no pending request.</summary>
    UnexpectedResponse,

    /// <summary>A response from an address other than the one the request went to.</summary>
    WrongSource,

    /// <summary>A response to a request already answered, timed out or cancelled.</summary>
    LateOrDuplicate,

    /// <summary>A datagram larger than the RPC layer accepts.</summary>
    Oversized,

    /// <summary>A well-formed request that arrived while <c>RpcOptions.MaxConcurrentRequests</c> were being served.</summary>
    Overloaded,

    /// <summary>A well-formed request from a source (address and port) over <c>RpcOptions.RequestRatePerSource</c>.</summary>
    RateLimited,

    /// <summary>A well-formed STORE from a source over <c>RpcOptions.StoreRatePerSource</c>.</summary>
    StoreRateLimited,

    /// <summary>A request whose message id the same source (address and port) already sent within <c>RpcOptions.RecentRequestMemory</c> requests: a replay.</summary>
    DuplicateRequest,
}

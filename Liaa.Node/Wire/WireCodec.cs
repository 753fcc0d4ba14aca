using System.Buffers;

namespace Liaa.Node.Wire;

public enum DatagramKind { Request, Response }

public enum DropReason { None, TooShort, UnknownType, MalformedBody, TrailingBytes, TooDeep, WrongShape, UnknownMethod, WrongArgumentType, WrongIdLength, InvalidAddress, InvalidValue, MalformedHeader, UnexpectedResponse, WrongSource, LateOrDuplicate, Oversized }

public readonly record struct DatagramEnvelope(DatagramKind Kind, MessageId Id, bool IsExtended, LiaaHeader? Header, int BodyOffset);

/// <summary>PLACEHOLDER (rpc branch): signatures of the codec being built on the wire branch.</summary>
public static class WireCodec
{
    public const int MaxDatagramSize = 65507;

    public static bool TryReadEnvelope(ReadOnlySpan<byte> datagram, out DatagramEnvelope envelope, out DropReason reason) => throw new NotImplementedException();

    public static bool TryDecodeRequest(ReadOnlySpan<byte> body, in DatagramEnvelope envelope, out RpcRequest? request, out DropReason reason) => throw new NotImplementedException();

    public static bool TryDecodeResponse(RpcMethod method, ReadOnlySpan<byte> body, in DatagramEnvelope envelope, out RpcResponse? response, out DropReason reason) => throw new NotImplementedException();

    public static void WriteRequest(IBufferWriter<byte> output, MessageId id, RpcRequest request, LiaaHeader? header) => throw new NotImplementedException();

    public static void WriteResponse(IBufferWriter<byte> output, MessageId id, RpcResponse response, LiaaHeader? header) => throw new NotImplementedException();
}

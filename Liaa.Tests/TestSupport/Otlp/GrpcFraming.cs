using System.Buffers.Binary;
using System.IO.Compression;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// The length-prefixed message framing of gRPC over HTTP/2, for one unary call: a 1-byte
/// compressed flag, a 4-byte big-endian length, the message. Enough for OTLP's three
/// <c>Export</c> methods without Grpc.AspNetCore (not available here).
/// </summary>
internal static class GrpcFraming
{
    public const int HeaderLength = 5;

    /// <summary>gRPC status codes used by the receiver (grpc/doc/statuscodes.md).</summary>
    public const int StatusOk = 0;
    public const int StatusInvalidArgument = 3;
    public const int StatusResourceExhausted = 8;
    public const int StatusUnimplemented = 12;
    public const int StatusInternal = 13;

    /// <summary>
    /// Reads the single message of a unary request body. A compressed message is inflated with
    /// <paramref name="encoding"/> (<c>gzip</c>; <c>identity</c> or none means uncompressed).
    /// Returns false with a gRPC status and message when the body is not exactly one frame.
    /// </summary>
    public static bool TryReadUnaryMessage(
        ReadOnlySpan<byte> body,
        string? encoding,
        int maxMessageBytes,
        out byte[] message,
        out int status,
        out string error)
    {
        message = [];
        if (body.Length < HeaderLength)
        {
            (status, error) = (StatusInvalidArgument, "request body is shorter than a gRPC frame header");
            return false;
        }

        var compressed = body[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..HeaderLength]);
        if (compressed > 1 || length != (uint)(body.Length - HeaderLength))
        {
            (status, error) = (StatusInvalidArgument, "request body is not exactly one gRPC message frame");
            return false;
        }

        var payload = body[HeaderLength..];
        if (compressed == 0)
        {
            message = payload.ToArray();
            (status, error) = (StatusOk, string.Empty);
            return true;
        }

        if (!string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            (status, error) = (StatusUnimplemented, $"message compressed with '{encoding ?? "(none)"}'; only gzip is supported");
            return false;
        }

        if (!OtlpBody.TryGunzip(payload.ToArray(), maxMessageBytes, out message))
        {
            (status, error) = (StatusInvalidArgument, "gzip message is malformed or larger than the limit");
            return false;
        }

        (status, error) = (StatusOk, string.Empty);
        return true;
    }

    /// <summary>Frames an uncompressed response message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[HeaderLength + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)message.Length);
        message.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }
}

/// <summary>Reading request bodies within a size limit, and gzip, shared by both OTLP transports.</summary>
internal static class OtlpBody
{
    /// <summary>Reads the whole body; false when it exceeds <paramref name="maxBytes"/>.</summary>
    public static async Task<(bool Ok, byte[] Body)> TryReadAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (false, []);
            }

            buffer.Write(chunk, 0, read);
        }

        return (true, buffer.ToArray());
    }

    /// <summary>Inflates gzip; false when malformed or when the result would exceed <paramref name="maxBytes"/>.</summary>
    public static bool TryGunzip(byte[] compressed, int maxBytes, out byte[] inflated)
    {
        inflated = [];
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return false;
                }

                buffer.Write(chunk, 0, read);
            }

            inflated = buffer.ToArray();
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Liaa.Node.Api;

/// <summary>
/// Gives the requests Kestrel refuses before any middleware runs (a <c>%00</c> in the path: 400; a request line
/// over 8 KiB: 414; headers too large: 431) a problem-details body, as every other 4xx of the API has. Kestrel
/// answers those itself with an empty body and closes the connection, and offers no hook for the body
/// (dotnet/aspnetcore#4726, "this category of errors is not customisable"), so this connection middleware
/// rewrites that one response on its way out.
/// </summary>
/// <remarks>
/// What is rewritten: a flush that is exactly an HTTP/1.x header block with a 4xx status,
/// <c>Content-Length: 0</c> and <c>Connection: close</c>. The API never sends that itself (its 4xx answers
/// carry problem details, and <c>UseStatusCodePages</c> fills in any empty one), so only Kestrel's own
/// rejections match. Everything else passes through unchanged, copied once; the HTTP API is not the node's
/// hot path (UDP is). HTTP/2 frames never start with <c>HTTP/1.</c> and pass through as they are.
/// </remarks>
internal static class KestrelRejectionProblems
{
    /// <summary>Adds the rewriting to every connection of <paramref name="listen"/>.</summary>
    public static ListenOptions UseProblemDetailsForRejections(this ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            var writer = new RewritingWriter(transport.Output);
            connection.Transport = new DuplexPipe(transport.Input, writer);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = transport;
            }
        });
        return listen;
    }

    /// <summary>The problem-details response for a Kestrel rejection, or null when <paramref name="response"/> is not one.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> response)
    {
        if (response.Length < 16 || !response.StartsWith("HTTP/1."u8) || response[9] != (byte)'4'
            || !response.EndsWith("\r\n\r\n"u8) || response.IndexOf("\r\n\r\n"u8) != response.Length - 4)
        {
            return null;
        }

        var headers = Encoding.ASCII.GetString(response);
        const string EmptyBody = "\r\nContent-Length: 0\r\n";
        if (!headers.Contains(EmptyBody, StringComparison.OrdinalIgnoreCase) || !headers.Contains("\r\nConnection: close\r\n", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(headers.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            return null;
        }

        var statusLineEnd = headers.IndexOf("\r\n", StringComparison.Ordinal);
        var title = statusLineEnd > 13 ? headers[13..statusLineEnd] : "Bad Request";
        var (type, detail) = Explain(status);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        }, NodeApiJson.Default.DictionaryStringObject);
        var start = headers.IndexOf(EmptyBody, StringComparison.OrdinalIgnoreCase);
        var rewritten = string.Concat(
            headers.AsSpan(0, start),
            $"\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n",
            headers.AsSpan(start + EmptyBody.Length));
        return [.. Encoding.ASCII.GetBytes(rewritten), .. body];
    }

    private static (string Type, string Detail) Explain(int status) => status switch
    {
        400 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "The server refused the request before the API saw it: its request line or headers are malformed "
            + "(for example a %00 or another control character in the path, or a header that does not parse)."),
        408 => ("https://tools.ietf.org/html/rfc9110#section-15.5.9", "The request did not arrive in time."),
        413 => ("https://tools.ietf.org/html/rfc9110#section-15.5.14", "The request body is larger than the server accepts."),
        414 => (
            "https://tools.ietf.org/html/rfc9110#section-15.5.15",
            "The request line is longer than the server accepts (8 KiB), so a key that long cannot be given in the path: "
            + "hash it with SHA-1 and give the 40 hexadecimal digits with ?digest=true."),
        431 => ("https://tools.ietf.org/html/rfc6585#section-5", "The request headers are larger than the server accepts (32 KiB in all)."),
        _ => ("about:blank", "The server refused the request before the API saw it."),
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Holds what is written until a flush, then passes it on, rewritten when it is a Kestrel rejection.</summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new();

        // Kestrel's output asks (System.Text.Json decides when to flush by it): everything not flushed is held here.
        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _pending.WrittenCount;

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Forward();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Forward();
            await inner.CompleteAsync(exception).ConfigureAwait(false);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Forward();
            return inner.FlushAsync(cancellationToken);
        }

        private void Forward()
        {
            if (_pending.WrittenCount == 0)
            {
                return;
            }

            var rewritten = Rewrite(_pending.WrittenSpan);
            inner.Write(rewritten ?? _pending.WrittenSpan);
            _pending.ResetWrittenCount();
        }
    }
}

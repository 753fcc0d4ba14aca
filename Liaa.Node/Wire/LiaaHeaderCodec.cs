using System.Diagnostics.CodeAnalysis;

namespace Liaa.Node.Wire;

/// <summary>
/// The Liaa header of the extended datagram forms: a MessagePack map with short str keys.
/// <c>v</c> protocol version (int 0..255, required), <c>tp</c> W3C traceparent and <c>ts</c>
/// tracestate (str), <c>pt</c> publication time (Unix milliseconds) and <c>ttl</c> cache TTL
/// (milliseconds, non-negative). Keys this version does not know are skipped, whatever their value,
/// so newer Liaa nodes can add some; the map is bounded in entries and depth, and a known key may
/// appear once. Times travel at millisecond precision.
/// </summary>
internal static class LiaaHeaderCodec
{
    // DateTimeOffset's range in Unix milliseconds.
    private const long MinUnixMilliseconds = -62_135_596_800_000;
    private const long MaxUnixMilliseconds = 253_402_300_799_999;
    private const long MaxTtlMilliseconds = long.MaxValue / TimeSpan.TicksPerMillisecond;

    /// <summary>Throws for what <see cref="Write"/> cannot carry, before anything is written.</summary>
    public static void Validate(TimeSpan? cacheTtl)
    {
        if (cacheTtl < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(cacheTtl), cacheTtl, "A cache TTL cannot be negative.");
        }
    }

    /// <summary>
    /// Writes <paramref name="header"/> and the message's extras; a traced request's context (<paramref name="trace"/>,
    /// when not empty) is written as its <c>traceparent</c> and <c>tracestate</c> in place of the header's own.
    /// </summary>
    public static void Write(ref MessagePackWriter writer, LiaaHeader header, DateTimeOffset? publishedAt, TimeSpan? cacheTtl, in OutgoingTraceContext trace = default)
    {
        Span<byte> traceParent = stackalloc byte[W3CTraceParent.Length];
        var traced = !trace.IsEmpty && trace.TryFormat(traceParent);
        var traceState = traced ? trace.TraceState : header.TraceState;
        var count = 1
            + (traced || header.HasTraceParent ? 1 : 0)
            + (traceState is null ? 0 : 1)
            + (publishedAt is null ? 0 : 1)
            + (cacheTtl is null ? 0 : 1);
        writer.WriteMapHeader(count);
        writer.WriteStringUtf8("v"u8);
        writer.WriteUInt64(header.Version);
        if (traced)
        {
            writer.WriteStringUtf8("tp"u8);
            writer.WriteStringUtf8(traceParent);
        }
        else if (header.TryGetW3CTraceParent(out var w3c))
        {
            // Formatted straight into the datagram: the same 55 bytes the text gives, without the text.
            w3c.Format(traceParent);
            writer.WriteStringUtf8("tp"u8);
            writer.WriteStringUtf8(traceParent);
        }
        else if (header.TraceParent is { } otherTraceParent)
        {
            writer.WriteStringUtf8("tp"u8);
            writer.WriteString(otherTraceParent);
        }

        if (traceState is not null)
        {
            writer.WriteStringUtf8("ts"u8);
            writer.WriteString(traceState);
        }

        if (publishedAt is { } published)
        {
            writer.WriteStringUtf8("pt"u8);
            writer.WriteInt64(published.ToUnixTimeMilliseconds());
        }

        if (cacheTtl is { } ttl)
        {
            writer.WriteStringUtf8("ttl"u8);
            writer.WriteInt64(ttl.Ticks / TimeSpan.TicksPerMillisecond);
        }
    }

    public static bool TryRead(
        ref MessagePackReader reader,
        [NotNullWhen(true)] out LiaaHeader? header,
        out DateTimeOffset? publishedAt,
        out TimeSpan? cacheTtl)
    {
        header = null;
        publishedAt = null;
        cacheTtl = null;
        if (!reader.TryReadMapHeader(out var count) || count > WireCodec.MaxHeaderEntries)
        {
            return false;
        }

        ulong? version = null;
        var hasTraceParent = false;
        W3CTraceParent w3cTraceParent = default;
        string? otherTraceParent = null;
        string? traceState = null;
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadStringSpan(out var key))
            {
                return false;
            }

            if (key.SequenceEqual("v"u8))
            {
                if (version is not null || !reader.TryReadUInt64(out var v) || v > byte.MaxValue)
                {
                    return false;
                }

                version = v;
            }
            else if (key.SequenceEqual("tp"u8))
            {
                if (hasTraceParent)
                {
                    return false;
                }

                // The W3C form is read as its fields, without a string; any other text as text, as before.
                hasTraceParent = true;
                var peek = reader;
                if (peek.TryReadStringSpan(out var utf8) && W3CTraceParent.TryParse(utf8, out w3cTraceParent))
                {
                    reader = peek;
                }
                else if (!reader.TryReadString(out otherTraceParent))
                {
                    return false;
                }
            }
            else if (key.SequenceEqual("ts"u8))
            {
                if (traceState is not null || !reader.TryReadString(out traceState))
                {
                    return false;
                }
            }
            else if (key.SequenceEqual("pt"u8))
            {
                if (publishedAt is not null || !reader.TryReadInt64(out var ms) || ms is < MinUnixMilliseconds or > MaxUnixMilliseconds)
                {
                    return false;
                }

                publishedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
            else if (key.SequenceEqual("ttl"u8))
            {
                if (cacheTtl is not null || !reader.TryReadInt64(out var ms) || ms is < 0 or > MaxTtlMilliseconds)
                {
                    return false;
                }

                cacheTtl = TimeSpan.FromTicks(ms * TimeSpan.TicksPerMillisecond);
            }
            else if (!reader.TrySkip(WireCodec.MaxDepth - 1))
            {
                // A key from a newer Liaa is skipped, however shaped, within the depth limit; this one was not skippable.
                return false;
            }
        }

        if (version is not { } known)
        {
            return false;
        }

        // Most headers say only "version 1" (every response, every untraced request): share the one instance.
        header = known == MessageId.LiaaProtocolVersion && !hasTraceParent && traceState is null
            ? LiaaHeader.Current
            : otherTraceParent is null && hasTraceParent
                ? new LiaaHeader((byte)known, w3cTraceParent, traceState)
                : new LiaaHeader((byte)known, otherTraceParent, traceState);
        return true;
    }
}

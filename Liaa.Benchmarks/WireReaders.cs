using System.Text.Unicode;
using Liaa.Node.Wire;
using LibraryCode = MessagePack.MessagePackCode;
using LibraryReader = MessagePack.MessagePackReader;
using LibraryType = MessagePack.MessagePackType;

namespace Liaa.Benchmarks;

/// <summary>What a reader made of one body.</summary>
internal enum ReadOutcome
{
    Accepted,
    Rejected,
    Threw,
}

/// <summary>
/// Three ways to read a whole datagram body, token by token, the way the codec does (strings and
/// binaries as slices, integers and floats as values, at most <see cref="WireCodec.MaxDepth"/> deep,
/// nothing may follow the value):
/// <list type="bullet">
/// <item><see cref="Liaa"/>: Liaa's reader, with the codec's structural pre-scan (<c>TrySkip</c>) first and
/// strict UTF-8.</item>
/// <item><see cref="Library"/>: MessagePack-CSharp's reader as it is: exceptions for truncated or invalid
/// input (caught here and counted), UTF-8 not checked.</item>
/// <item><see cref="Guarded"/>: MessagePack-CSharp's reader behind Liaa's pre-scan and strict UTF-8, the
/// only way it keeps Liaa's contract (false, never an exception, malformed UTF-8 refused).</item>
/// </list>
/// </summary>
internal static class WireReaders
{
    /// <summary>The codec's structural pre-scan: exactly one whole value, at most <see cref="WireCodec.MaxDepth"/> deep.</summary>
    public static bool IsStructurallySound(byte[] body)
    {
        var scan = new MessagePackReader(body);
        return scan.TrySkip(WireCodec.MaxDepth) && scan.End;
    }

    public static ReadOutcome Liaa(byte[] body)
    {
        if (!IsStructurallySound(body))
        {
            return ReadOutcome.Rejected;
        }

        var reader = new MessagePackReader(body);
        return WalkLiaa(ref reader, WireCodec.MaxDepth) && reader.End ? ReadOutcome.Accepted : ReadOutcome.Rejected;
    }

    public static ReadOutcome Library(byte[] body)
    {
        try
        {
            var reader = new LibraryReader(body);
            return WalkLibrary(ref reader, WireCodec.MaxDepth, checkUtf8: false) && reader.End ? ReadOutcome.Accepted : ReadOutcome.Rejected;
        }
        catch (Exception exception) when (exception is EndOfStreamException or global::MessagePack.MessagePackSerializationException or OverflowException)
        {
            return ReadOutcome.Threw;
        }
    }

    public static ReadOutcome Guarded(byte[] body)
    {
        if (!IsStructurallySound(body))
        {
            return ReadOutcome.Rejected;
        }

        var reader = new LibraryReader(body);
        return WalkLibrary(ref reader, WireCodec.MaxDepth, checkUtf8: true) && reader.End ? ReadOutcome.Accepted : ReadOutcome.Rejected;
    }

    private static bool WalkLiaa(ref MessagePackReader reader, int depthLeft)
    {
        if (!reader.TryPeekType(out var type))
        {
            return false;
        }

        switch (type)
        {
            case MessagePackType.Nil:
                return reader.TryReadNil();
            case MessagePackType.Boolean:
                return reader.TryReadBoolean(out _);
            case MessagePackType.Integer:
                return reader.TryReadInteger(out _);
            case MessagePackType.Float:
                return reader.TryReadDouble(out _);
            case MessagePackType.String:
                return reader.TryReadStringSpan(out var utf8) && Utf8.IsValid(utf8);
            case MessagePackType.Binary:
                return reader.TryReadBinary(out _);
            case MessagePackType.Extension:
                return reader.TryReadExtension(out _, out _);
            case MessagePackType.Array or MessagePackType.Map when depthLeft > 0:
                int count;
                if (type == MessagePackType.Array ? !reader.TryReadArrayHeader(out count) : !reader.TryReadMapHeader(out count))
                {
                    return false;
                }

                count *= type == MessagePackType.Map ? 2 : 1;
                for (var i = 0; i < count; i++)
                {
                    if (!WalkLiaa(ref reader, depthLeft - 1))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    private static bool WalkLibrary(ref LibraryReader reader, int depthLeft, bool checkUtf8)
    {
        if (reader.End)
        {
            return false;
        }

        switch (reader.NextMessagePackType)
        {
            case LibraryType.Nil:
                reader.ReadNil();
                return true;
            case LibraryType.Boolean:
                reader.ReadBoolean();
                return true;
            case LibraryType.Integer:
                if (reader.NextCode == LibraryCode.UInt64)
                {
                    reader.ReadUInt64();
                }
                else
                {
                    reader.ReadInt64();
                }

                return true;
            case LibraryType.Float:
                reader.ReadDouble();
                return true;
            case LibraryType.String:
                return reader.TryReadStringSpan(out var utf8) && (!checkUtf8 || Utf8.IsValid(utf8));
            case LibraryType.Binary:
                return reader.ReadBytes() is not null;
            case LibraryType.Extension:
                var header = reader.ReadExtensionFormatHeader();
                reader.ReadRaw(header.Length);
                return true;
            case LibraryType.Array or LibraryType.Map when depthLeft > 0:
                var isMap = reader.NextMessagePackType == LibraryType.Map;
                var count = isMap ? reader.ReadMapHeader() * 2L : reader.ReadArrayHeader();
                for (var i = 0L; i < count; i++)
                {
                    if (!WalkLibrary(ref reader, depthLeft - 1, checkUtf8))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }
}

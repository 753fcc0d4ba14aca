using Liaa.Node.Wire;

namespace Liaa.Benchmarks;

/// <summary>What a datagram body is made of, token by token, in the order a reader meets them.</summary>
internal enum TokenKind : byte
{
    Nil,
    Boolean,
    Signed,
    Unsigned,
    Float64,
    Float32,
    String,
    Binary,
    Array,
    Map,
}

/// <summary>One MessagePack token of a captured body, with where it starts (for the mutations).</summary>
internal sealed record Token(TokenKind Kind, int Offset, int HeaderSize)
{
    public long Signed { get; init; }

    public ulong Unsigned { get; init; }

    public double Float { get; init; }

    public bool Flag { get; init; }

    public int Count { get; init; }

    public string? Text { get; init; }

    public byte[] Bytes { get; init; } = [];
}

/// <summary>
/// The wire benchmark's inputs: the 122 datagrams captured from the Python reference
/// (Liaa.Tests/TestData/wire/rpcudp-captures.txt), their bodies as token lists (for the writers), and a
/// hostile corpus of mutated bodies made from them with a fixed seed: per body two truncations, two
/// flipped bytes, one length field set to its form's maximum and one str made malformed UTF-8 (an
/// overlong '/'; a body without a str gets a third flipped byte instead).
/// </summary>
internal sealed class WireCorpus
{
    public const int CaptureCount = 122; // WIRE.md speaks of 123; the file holds 122, every request with its response.
    public const int MutationsPerBody = 6;
    public const int HostileCount = CaptureCount * MutationsPerBody;

    private WireCorpus(byte[][] bodies, Token[][] tokens, (string Mutation, byte[] Body)[] hostile)
    {
        Bodies = bodies;
        Tokens = tokens;
        Hostile = hostile;
    }

    /// <summary>The MessagePack bodies of the captured datagrams (type byte and message id removed).</summary>
    public byte[][] Bodies { get; }

    public Token[][] Tokens { get; }

    public (string Mutation, byte[] Body)[] Hostile { get; }

    public static WireCorpus Load(int seed = 13)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "wire", "rpcudp-captures.txt");
        var bodies = File.ReadLines(path)
            .Where(line => line.Length > 0 && line[0] != '#' && line.Contains(" <- ", StringComparison.Ordinal))
            .Select(line => Convert.FromHexString(line[(line.LastIndexOf(' ') + 1)..])[WireCodec.PrefixSize..])
            .ToArray();
        if (bodies.Length != CaptureCount)
        {
            throw new InvalidDataException($"{path} holds {bodies.Length} datagrams, not {CaptureCount}.");
        }

        var tokens = bodies.Select(Tokenize).ToArray();
        var random = new Random(seed);
        var hostile = new List<(string, byte[])>(HostileCount);
        for (var i = 0; i < bodies.Length; i++)
        {
            var body = bodies[i];
            hostile.Add(("truncated", body[..random.Next(body.Length)]));
            hostile.Add(("truncated", body[..random.Next(body.Length)]));
            hostile.Add(("flipped", Flip(body, random)));
            hostile.Add(("flipped", Flip(body, random)));
            hostile.Add(BadLength(body, tokens[i], random) is { } badLength ? ("bad length", badLength) : ("flipped", Flip(body, random)));
            hostile.Add(BadUtf8(body, tokens[i], random) is { } badUtf8 ? ("bad utf-8", badUtf8) : ("flipped", Flip(body, random)));
        }

        return new WireCorpus(bodies, tokens, [.. hostile]);
    }

    /// <summary>The body's tokens, read with Liaa's reader (the captures are known to be well-formed).</summary>
    private static Token[] Tokenize(byte[] body)
    {
        var tokens = new List<Token>();
        var reader = new MessagePackReader(body);
        while (!reader.End)
        {
            var offset = reader.Position;
            var code = body[offset];
            reader.TryPeekType(out var type);
            Token token;
            switch (type)
            {
                case MessagePackType.Nil:
                    reader.TryReadNil();
                    token = new Token(TokenKind.Nil, offset, 1);
                    break;
                case MessagePackType.Boolean:
                    reader.TryReadBoolean(out var flag);
                    token = new Token(TokenKind.Boolean, offset, 1) { Flag = flag };
                    break;
                case MessagePackType.Integer:
                    reader.TryReadInteger(out var integer);
                    token = integer < 0
                        ? new Token(TokenKind.Signed, offset, 1) { Signed = (long)integer }
                        : new Token(TokenKind.Unsigned, offset, 1) { Unsigned = (ulong)integer };
                    break;
                case MessagePackType.Float:
                    reader.TryReadDouble(out var number);
                    token = new Token(code == MessagePackCode.Float32 ? TokenKind.Float32 : TokenKind.Float64, offset, 1) { Float = number };
                    break;
                case MessagePackType.String:
                    reader.TryReadString(out var text);
                    token = new Token(TokenKind.String, offset, HeaderSize(code)) { Text = text };
                    break;
                case MessagePackType.Binary:
                    reader.TryReadBinary(out var bytes);
                    token = new Token(TokenKind.Binary, offset, HeaderSize(code)) { Bytes = bytes.ToArray() };
                    break;
                case MessagePackType.Array:
                    reader.TryReadArrayHeader(out var elements);
                    token = new Token(TokenKind.Array, offset, HeaderSize(code)) { Count = elements };
                    break;
                case MessagePackType.Map:
                    reader.TryReadMapHeader(out var pairs);
                    token = new Token(TokenKind.Map, offset, HeaderSize(code)) { Count = pairs };
                    break;
                default:
                    throw new InvalidDataException($"Unexpected {type} at {offset}.");
            }

            tokens.Add(token);
        }

        return [.. tokens];
    }

    // 1 for the fix forms, else the code byte and a 1-, 2- or 4-byte length.
    private static int HeaderSize(byte code) => code switch
    {
        MessagePackCode.Str8 or MessagePackCode.Bin8 => 2,
        MessagePackCode.Str16 or MessagePackCode.Bin16 or MessagePackCode.Array16 or MessagePackCode.Map16 => 3,
        MessagePackCode.Str32 or MessagePackCode.Bin32 or MessagePackCode.Array32 or MessagePackCode.Map32 => 5,
        _ => 1,
    };

    private static byte[] Flip(byte[] body, Random random)
    {
        var copy = (byte[])body.Clone();
        copy[random.Next(copy.Length)] ^= (byte)random.Next(1, 256);
        return copy;
    }

    /// <summary>A str, bin, array or map whose length field claims the most its form can say.</summary>
    private static byte[]? BadLength(byte[] body, Token[] tokens, Random random)
    {
        var candidates = tokens.Where(t => t.Kind is TokenKind.String or TokenKind.Binary or TokenKind.Array or TokenKind.Map).ToArray();
        if (candidates.Length == 0)
        {
            return null;
        }

        var token = candidates[random.Next(candidates.Length)];
        var copy = (byte[])body.Clone();
        if (token.HeaderSize == 1)
        {
            copy[token.Offset] |= (byte)(token.Kind == TokenKind.String ? 0x1f : 0x0f);
        }
        else
        {
            copy.AsSpan(token.Offset + 1, token.HeaderSize - 1).Fill(0xff);
        }

        return copy;
    }

    /// <summary>A str whose first bytes become an overlong '/' (<c>c0 af</c>), or a lone continuation byte.</summary>
    private static byte[]? BadUtf8(byte[] body, Token[] tokens, Random random)
    {
        var candidates = tokens.Where(t => t.Kind == TokenKind.String && t.Text!.Length > 0).ToArray();
        if (candidates.Length == 0)
        {
            return null;
        }

        var token = candidates[random.Next(candidates.Length)];
        var copy = (byte[])body.Clone();
        var payload = token.Offset + token.HeaderSize;
        if (token.Text!.Length >= 2)
        {
            copy[payload] = 0xc0;
            copy[payload + 1] = 0xaf;
        }
        else
        {
            copy[payload] = 0x80;
        }

        return copy;
    }
}

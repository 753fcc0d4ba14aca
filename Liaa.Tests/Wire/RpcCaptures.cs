using System.Globalization;
using System.Net;
using System.Text;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>One datagram of TestData/wire/rpcudp-captures.txt with the decoding its comment line shows.</summary>
internal sealed record RpcCapture(int Line, string Receiver, string Sender, byte[] Datagram, bool IsRequest, string Id, object? Body)
{
    public override string ToString() => $"line {Line}: {(IsRequest ? "REQ" : "RESP")} {Id}";
}

/// <summary>
/// Reads the captures of the Python reference and turns each comment into the typed message it
/// describes. The comment is parsed on its own (a small parser for the Python repr it uses), so the
/// expected records do not come from the codec under test. A response's method is its request's,
/// found by message id, exactly as a Python caller pairs them.
/// </summary>
internal static class RpcCaptures
{
    private static readonly Lazy<IReadOnlyList<RpcCapture>> Loaded = new(Load);

    public static IReadOnlyList<RpcCapture> All => Loaded.Value;

    public static RpcCapture AtLine(int line) => All.Single(c => c.Line == line);

    public static TheoryData<int> Lines => new(All.Select(c => c.Line));

    public static RpcMethod MethodOf(RpcCapture capture)
    {
        var request = capture.IsRequest ? capture : All.Single(c => c.IsRequest && c.Id == capture.Id);
        var name = (string)((List<object?>)request.Body!)[0]!;
        Assert.True(WireCodec.TryParseMethod(Encoding.UTF8.GetBytes(name), out var method), name);
        return method;
    }

    public static RpcRequest ExpectedRequest(RpcCapture capture)
    {
        var body = (List<object?>)capture.Body!;
        var args = (List<object?>)body[1]!;
        return (string)body[0]! switch
        {
            "ping" => new PingRequest(Id(args[0])),
            "store" => new StoreRequest(Id(args[0]), Id(args[1]), Value(args[2])),
            "find_node" => new FindNodeRequest(Id(args[0]), Id(args[1])),
            "find_value" => new FindValueRequest(Id(args[0]), Id(args[1])),
            "stun" => new StunRequest(),
            var other => throw new InvalidDataException($"Unknown RPC {other} on line {capture.Line}."),
        };
    }

    public static RpcResponse ExpectedResponse(RpcCapture capture) => MethodOf(capture) switch
    {
        RpcMethod.Ping => new PingResponse(Id(capture.Body)),
        RpcMethod.Store => new StoreResponse((bool)capture.Body!),
        RpcMethod.FindNode => new FindNodeResponse(Contacts(capture.Body)),
        RpcMethod.FindValue => capture.Body is List<KeyValuePair<object?, object?>> map
            ? FindValueResponse.Hit(Value(map.Single(p => (string)p.Key! == "value").Value))
            : FindValueResponse.Miss(Contacts(capture.Body)),
        _ => new StunResponse(EndPoint((List<object?>)capture.Body!, 0)),
    };

    private static NodeId Id(object? value) => NodeId.FromBytes((byte[])value!);

    private static DhtValue Value(object? value) => value switch
    {
        string s => DhtValue.FromString(s),
        byte[] b => DhtValue.FromBytes(b),
        bool b => DhtValue.FromBoolean(b),
        long l => DhtValue.FromInt64(l),
        double d => DhtValue.FromDouble(d),
        _ => throw new InvalidDataException($"Not a value: {value}"),
    };

    private static Contact[] Contacts(object? value) =>
        [.. ((List<object?>)value!).Select(c => (List<object?>)c!).Select(c => new Contact(Id(c[0]), EndPoint(c, 1)))];

    private static IPEndPoint EndPoint(List<object?> fields, int first) =>
        new(IPAddress.Parse((string)fields[first]!), checked((int)(long)fields[first + 1]!));

    private static IReadOnlyList<RpcCapture> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "wire", "rpcudp-captures.txt");
        var lines = File.ReadAllLines(path);
        var captures = new List<RpcCapture>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#') || !lines[i].Contains(" <- ", StringComparison.Ordinal))
            {
                continue;
            }

            // "RECEIVER <- SENDER HEX" then "#   REQ  len=50 id=... body=..."
            var parts = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var datagram = Convert.FromHexString(parts[3]);
            var comment = lines[i + 1];
            var fields = comment.TrimStart('#', ' ').Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            var length = int.Parse(fields[1]["len=".Length..], CultureInfo.InvariantCulture);
            var id = fields[2]["id=".Length..];
            var body = new PythonReprParser(fields[3]["body=".Length..]).ParseAll();
            if (length != datagram.Length || id != Convert.ToHexStringLower(datagram.AsSpan(1, 20)))
            {
                throw new InvalidDataException($"Line {i + 1}: the comment does not describe the datagram.");
            }

            captures.Add(new RpcCapture(i + 1, parts[0], parts[2], datagram, fields[0] == "REQ", id, body));
        }

        return captures;
    }

    /// <summary>
    /// The Python repr the comments use: lists, dicts, 'str', ints, floats, True/False/None, and
    /// <c>bin[N]:hex</c> for bytes. Lists become <see cref="List{T}"/>, dicts lists of pairs.
    /// </summary>
    private sealed class PythonReprParser(string text)
    {
        private int _position;

        public object? ParseAll()
        {
            var value = Parse();
            SkipSpaces();
            return _position == text.Length ? value : throw Error("trailing text");
        }

        private object? Parse()
        {
            SkipSpaces();
            var c = text[_position];
            if (c == '[')
            {
                var list = new List<object?>();
                ParseItems(']', () => list.Add(Parse()));
                return list;
            }

            if (c == '{')
            {
                var map = new List<KeyValuePair<object?, object?>>();
                ParseItems('}', () =>
                {
                    var key = Parse();
                    Expect(':');
                    map.Add(new(key, Parse()));
                });
                return map;
            }

            if (c is '\'' or '"')
            {
                return ParseString(c);
            }

            if (TryWord("bin["))
            {
                var close = text.IndexOf(']', _position);
                var length = int.Parse(text.AsSpan(_position, close - _position), CultureInfo.InvariantCulture);
                _position = close + 1;
                Expect(':');
                var bytes = Convert.FromHexString(text.AsSpan(_position, length * 2));
                _position += length * 2;
                return bytes;
            }

            if (TryWord("True"))
            {
                return true;
            }

            if (TryWord("False"))
            {
                return false;
            }

            if (TryWord("None"))
            {
                return null;
            }

            var start = _position;
            while (_position < text.Length && "+-0123456789.eE".Contains(text[_position], StringComparison.Ordinal))
            {
                _position++;
            }

            var number = text[start.._position];
            if (number.Length == 0)
            {
                throw Error("unexpected character");
            }

            // Boxed separately: a conditional would widen the long to double.
            if (number.Contains('.', StringComparison.Ordinal) || number.Contains('e', StringComparison.OrdinalIgnoreCase))
            {
                return double.Parse(number, CultureInfo.InvariantCulture);
            }

            return long.Parse(number, CultureInfo.InvariantCulture);
        }

        private void ParseItems(char close, Action parseItem)
        {
            _position++;
            SkipSpaces();
            while (text[_position] != close)
            {
                parseItem();
                SkipSpaces();
                if (text[_position] != close)
                {
                    Expect(',');
                    SkipSpaces();
                }
            }

            _position++;
        }

        private string ParseString(char quote)
        {
            var result = new StringBuilder();
            _position++;
            while (text[_position] != quote)
            {
                var c = text[_position++];
                if (c != '\\')
                {
                    result.Append(c);
                    continue;
                }

                var escape = text[_position++];
                switch (escape)
                {
                    case 'x':
                        result.Append((char)Convert.ToInt32(text.Substring(_position, 2), 16));
                        _position += 2;
                        break;
                    case 'u':
                        result.Append((char)Convert.ToInt32(text.Substring(_position, 4), 16));
                        _position += 4;
                        break;
                    case 'n':
                        result.Append('\n');
                        break;
                    case 't':
                        result.Append('\t');
                        break;
                    default:
                        result.Append(escape);
                        break;
                }
            }

            _position++;
            return result.ToString();
        }

        private bool TryWord(string word)
        {
            if (string.CompareOrdinal(text, _position, word, 0, word.Length) != 0)
            {
                return false;
            }

            _position += word.Length;
            return true;
        }

        private void Expect(char c)
        {
            SkipSpaces();
            if (text[_position] != c)
            {
                throw Error($"expected '{c}'");
            }

            _position++;
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && text[_position] == ' ')
            {
                _position++;
            }
        }

        private InvalidDataException Error(string what) => new($"{what} at {_position} in: {text}");
    }
}

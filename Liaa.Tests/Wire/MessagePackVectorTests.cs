using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// The vectors of TestData/msgpack/vectors.json, made by Debian's python3-msgpack
/// (tools/msgpack-vectors/generate.py): the writer must produce Python's bytes from the typed value,
/// and the reader must read Python's bytes back to exactly that value.
/// </summary>
public sealed class MessagePackVectorTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Vectors = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "msgpack", "vectors.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("vectors").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.Clone());
    });

    public static TheoryData<string> Names => new(Vectors.Value.Keys);

    [Fact]
    public void Vectors_CoverEveryFamilyAndBoundary()
    {
        var names = Vectors.Value.Keys.ToHashSet();
        foreach (var n in new[] { "0", "127", "128", "255", "256", "65535", "65536", "4294967295", "4294967296",
                     "9223372036854775807", "18446744073709551615", "-1", "-32", "-33", "-128", "-129", "-32768",
                     "-32769", "-2147483648", "-2147483649", "-9223372036854775808" })
        {
            Assert.Contains($"int {n}", names);
        }

        foreach (var n in new[] { 0, 31, 32, 255, 256, 65535, 65536 })
        {
            Assert.Contains($"str ascii {n}", names);
        }

        foreach (var n in new[] { 0, 255, 256, 65536 })
        {
            Assert.Contains($"bin {n}", names);
        }

        foreach (var n in new[] { 0, 15, 16, 65536 })
        {
            Assert.Contains($"array {n}", names);
            Assert.Contains($"map {n}", names);
        }

        Assert.Contains("float64 nan", names);
        Assert.Contains("float64 -0.0", names);
        Assert.Contains("float32 inf", names);
        Assert.Contains("nil", names);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Write_ProducesPythonsBytes_ForTheTypedValue(string name)
    {
        var vector = Vectors.Value[name];
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        Write(ref writer, vector.GetProperty("value"));
        writer.Flush();

        if (vector.TryGetProperty("sha256", out var sha256))
        {
            Assert.Equal(vector.GetProperty("length").GetInt32(), output.WrittenCount);
            Assert.Equal(sha256.GetString(), Convert.ToHexStringLower(SHA256.HashData(output.WrittenSpan)));
        }
        else
        {
            Assert.Equal(Convert.ToHexStringLower(PythonBytes(vector)), Convert.ToHexStringLower(output.WrittenSpan));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Read_YieldsTheTypedValue_FromPythonsBytes(string name)
    {
        var vector = Vectors.Value[name];
        var bytes = PythonBytes(vector);

        var reader = new MessagePackReader(bytes);
        ReadAndAssert(ref reader, vector.GetProperty("value"));
        Assert.True(reader.End);

        var skipper = new MessagePackReader(bytes);
        Assert.True(skipper.TrySkip());
        Assert.Equal(bytes.Length, skipper.Position);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Read_RefusesEveryTruncation_OfPythonsBytes(string name)
    {
        var bytes = PythonBytes(Vectors.Value[name]);

        // Every prefix is checked for the small vectors; the large ones at their interesting cuts.
        var cuts = bytes.Length <= 1024 ? Enumerable.Range(0, bytes.Length) : [0, 1, 2, 3, 4, 5, 8, 9, bytes.Length / 2, bytes.Length - 1];
        foreach (var cut in cuts)
        {
            var reader = new MessagePackReader(bytes.AsSpan(0, cut));
            Assert.False(reader.TrySkip(), $"cut at {cut}");
            Assert.Equal(0, reader.Position);
        }
    }

    /// <summary>Python's bytes: inline hex, gzip, or (when neither is stored) the writer's bytes once their SHA-256 matched Python's.</summary>
    private static byte[] PythonBytes(JsonElement vector)
    {
        if (vector.TryGetProperty("hex", out var hex))
        {
            return Convert.FromHexString(hex.GetString()!);
        }

        if (vector.TryGetProperty("gzip", out var gzip))
        {
            using var input = new GZipStream(new MemoryStream(Convert.FromBase64String(gzip.GetString()!)), CompressionMode.Decompress);
            using var bytes = new MemoryStream();
            input.CopyTo(bytes);
            Assert.Equal(vector.GetProperty("length").GetInt32(), (int)bytes.Length);
            return bytes.ToArray();
        }

        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        Write(ref writer, vector.GetProperty("value"));
        writer.Flush();
        Assert.Equal(vector.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(output.WrittenSpan)));
        return output.WrittenSpan.ToArray();
    }

    private static int Repeat(JsonElement node) => node.TryGetProperty("repeat", out var repeat) ? repeat.GetInt32() : 1;

    private static string Text(JsonElement node) => string.Concat(Enumerable.Repeat(node.GetProperty("str").GetString()!, Repeat(node)));

    private static byte[] Bytes(JsonElement node) =>
        [.. Enumerable.Repeat(Convert.FromHexString(node.GetProperty("bin").GetString()!), Repeat(node)).SelectMany(b => b)];

    private static BigInteger Integer(JsonElement node) => BigInteger.Parse(node.GetProperty("int").GetString()!, CultureInfo.InvariantCulture);

    private static void Write(ref MessagePackWriter writer, JsonElement node)
    {
        var family = node.EnumerateObject().First().Name;
        switch (family)
        {
            case "nil":
                writer.WriteNil();
                break;
            case "bool":
                writer.WriteBoolean(node.GetProperty("bool").GetBoolean());
                break;
            case "int":
                var integer = Integer(node);
                if (integer > long.MaxValue)
                {
                    writer.WriteUInt64((ulong)integer);
                }
                else
                {
                    writer.WriteInt64((long)integer);
                }

                break;
            case "float64":
                writer.WriteDouble(BitConverter.UInt64BitsToDouble(Convert.ToUInt64(node.GetProperty("float64").GetString(), 16)));
                break;
            case "float32":
                writer.WriteSingle(BitConverter.UInt32BitsToSingle(Convert.ToUInt32(node.GetProperty("float32").GetString(), 16)));
                break;
            case "str":
                writer.WriteString(Text(node));
                break;
            case "bin":
                writer.WriteBinary(Bytes(node));
                break;
            case "array":
                var items = node.GetProperty("array").EnumerateArray().ToArray();
                var repeat = Repeat(node);
                writer.WriteArrayHeader(items.Length * repeat);
                for (var r = 0; r < repeat; r++)
                {
                    foreach (var item in items)
                    {
                        Write(ref writer, item);
                    }
                }

                break;
            case "map":
                var pairs = node.GetProperty("map").EnumerateArray().ToArray();
                writer.WriteMapHeader(pairs.Length);
                foreach (var pair in pairs)
                {
                    Write(ref writer, pair[0]);
                    Write(ref writer, pair[1]);
                }

                break;
            case "map_range":
                var count = node.GetProperty("map_range").GetInt32();
                writer.WriteMapHeader(count);
                for (var i = 0; i < count; i++)
                {
                    writer.WriteInt64(i);
                    writer.WriteNil();
                }

                break;
            default:
                throw new InvalidDataException(family);
        }
    }

    private static void ReadAndAssert(ref MessagePackReader reader, JsonElement node)
    {
        var family = node.EnumerateObject().First().Name;
        Assert.True(reader.TryPeekType(out var type));
        switch (family)
        {
            case "nil":
                Assert.Equal(MessagePackType.Nil, type);
                Assert.True(reader.TryReadNil());
                break;
            case "bool":
                Assert.Equal(MessagePackType.Boolean, type);
                Assert.True(reader.TryReadBoolean(out var flag));
                Assert.Equal(node.GetProperty("bool").GetBoolean(), flag);
                break;
            case "int":
                Assert.Equal(MessagePackType.Integer, type);
                var expected = Integer(node);
                var probe = reader;
                Assert.Equal(expected >= long.MinValue && expected <= long.MaxValue, probe.TryReadInt64(out var signed));
                probe = reader;
                Assert.Equal(expected >= 0, probe.TryReadUInt64(out var unsigned));
                Assert.True(reader.TryReadInteger(out var integer));
                Assert.Equal(expected, (BigInteger)integer);
                Assert.Equal(expected >= long.MinValue && expected <= long.MaxValue ? (long)expected : 0, signed);
                Assert.Equal(expected >= 0 ? (ulong)expected : 0, unsigned);
                break;
            case "float64":
                Assert.Equal(MessagePackType.Float, type);
                var single = reader;
                Assert.False(single.TryReadSingle(out _));
                Assert.True(reader.TryReadDouble(out var number));
                Assert.Equal(node.GetProperty("float64").GetString(), BitConverter.DoubleToUInt64Bits(number).ToString("x16", CultureInfo.InvariantCulture));
                break;
            case "float32":
                Assert.Equal(MessagePackType.Float, type);
                var wide = reader;
                Assert.True(wide.TryReadDouble(out var widened));
                Assert.True(reader.TryReadSingle(out var narrow));
                Assert.Equal(node.GetProperty("float32").GetString(), BitConverter.SingleToUInt32Bits(narrow).ToString("x8", CultureInfo.InvariantCulture));
                Assert.Equal(BitConverter.DoubleToUInt64Bits(narrow), BitConverter.DoubleToUInt64Bits(widened));
                break;
            case "str":
                Assert.Equal(MessagePackType.String, type);
                var raw = reader;
                Assert.True(raw.TryReadStringSpan(out var utf8));
                Assert.True(reader.TryReadString(out var text));
                Assert.Equal(Text(node), text);
                Assert.Equal(Encoding.UTF8.GetBytes(text), utf8.ToArray());
                break;
            case "bin":
                Assert.Equal(MessagePackType.Binary, type);
                Assert.True(reader.TryReadBinary(out var bytes));
                Assert.Equal(Bytes(node), bytes.ToArray());
                break;
            case "array":
                Assert.Equal(MessagePackType.Array, type);
                var items = node.GetProperty("array").EnumerateArray().ToArray();
                var repeat = Repeat(node);
                Assert.True(reader.TryReadArrayHeader(out var length));
                Assert.Equal(items.Length * repeat, length);
                var first = reader.UnreadSpan;
                foreach (var item in items)
                {
                    ReadAndAssert(ref reader, item);
                }

                // Repeats of the same values: each is checked to be the same bytes, which the first
                // round has just shown to decode to the expected values.
                var round = first[..(first.Length - reader.Remaining)];
                for (var r = 1; r < repeat; r++)
                {
                    Assert.True(reader.UnreadSpan.StartsWith(round));
                    for (var i = 0; i < items.Length; i++)
                    {
                        Assert.True(reader.TrySkip());
                    }
                }

                break;
            case "map":
                Assert.Equal(MessagePackType.Map, type);
                var pairs = node.GetProperty("map").EnumerateArray().ToArray();
                Assert.True(reader.TryReadMapHeader(out var count));
                Assert.Equal(pairs.Length, count);
                foreach (var pair in pairs)
                {
                    ReadAndAssert(ref reader, pair[0]);
                    ReadAndAssert(ref reader, pair[1]);
                }

                break;
            case "map_range":
                Assert.Equal(MessagePackType.Map, type);
                Assert.True(reader.TryReadMapHeader(out var entries));
                Assert.Equal(node.GetProperty("map_range").GetInt32(), entries);
                for (var i = 0; i < entries; i++)
                {
                    Assert.True(reader.TryReadInt64(out var key));
                    Assert.Equal(i, key);
                    Assert.True(reader.TryReadNil());
                }

                break;
            default:
                throw new InvalidDataException(family);
        }
    }
}

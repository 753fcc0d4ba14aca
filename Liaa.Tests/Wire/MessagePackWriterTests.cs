using System.Buffers;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// The writer's static <c>Encode*</c> methods (one token into a span, for <c>DhtValue</c>'s
/// exact-size arrays) must make the same bytes as the writer itself, which is MessagePack-CSharp's.
/// </summary>
public sealed class MessagePackWriterTests
{
    public static TheoryData<long> Integers => new(
        0, 1, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue,
        -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, (long)int.MinValue - 1, long.MinValue);

    public static TheoryData<int> Lengths => new(0, 1, 31, 32, 255, 256, 65535, 65536, 70000);

    [Theory]
    [MemberData(nameof(Integers))]
    public void EncodeInt64_MatchesTheWriter(long value)
    {
        Span<byte> token = stackalloc byte[MessagePackWriter.MaxScalarSize];
        var size = MessagePackWriter.EncodeInt64(token, value);
        Assert.Equal(Written((ref MessagePackWriter w) => w.WriteInt64(value)), Convert.ToHexStringLower(token[..size]));
        if (value >= 0)
        {
            size = MessagePackWriter.EncodeUInt64(token, (ulong)value);
            Assert.Equal(Written((ref MessagePackWriter w) => w.WriteUInt64((ulong)value)), Convert.ToHexStringLower(token[..size]));
        }
    }

    [Fact]
    public void EncodeUInt64_MatchesTheWriter_AboveInt64()
    {
        Span<byte> token = stackalloc byte[MessagePackWriter.MaxScalarSize];
        foreach (var value in new[] { (ulong)long.MaxValue + 1, ulong.MaxValue })
        {
            var size = MessagePackWriter.EncodeUInt64(token, value);
            Assert.Equal(Written((ref MessagePackWriter w) => w.WriteUInt64(value)), Convert.ToHexStringLower(token[..size]));
        }
    }

    [Fact]
    public void EncodeDouble_MatchesTheWriter_BitForBit()
    {
        Span<byte> token = stackalloc byte[MessagePackWriter.MaxScalarSize];
        foreach (var value in new[] { 0.0, -0.0, 3.25, double.NaN, BitConverter.UInt64BitsToDouble(0x7ff8000000000001), double.NegativeInfinity })
        {
            var size = MessagePackWriter.EncodeDouble(token, value);
            Assert.Equal(Written((ref MessagePackWriter w) => w.WriteDouble(value)), Convert.ToHexStringLower(token[..size]));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void StringAndBinaryHeaders_MatchTheWriter(int length)
    {
        var payload = new byte[length];
        payload.AsSpan().Fill((byte)'a');
        Span<byte> header = stackalloc byte[5];

        var size = MessagePackWriter.EncodeStringHeader(header, length);
        Assert.Equal(MessagePackWriter.StringHeaderSize(length), size);
        Assert.Equal(Written((ref MessagePackWriter w) => w.WriteStringUtf8(payload)), Convert.ToHexStringLower([.. header[..size], .. payload]));

        size = MessagePackWriter.EncodeBinaryHeader(header, length);
        Assert.Equal(MessagePackWriter.BinaryHeaderSize(length), size);
        Assert.Equal(Written((ref MessagePackWriter w) => w.WriteBinary(payload)), Convert.ToHexStringLower([.. header[..size], .. payload]));
    }

    [Fact]
    public void Writer_WritesNothing_UntilFlushed()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(1);
        writer.WriteNil();
        Assert.Equal(0, output.WrittenCount);

        writer.Flush();
        Assert.Equal("91c0", Convert.ToHexStringLower(output.WrittenSpan));
    }

    private delegate void WriteAction(ref MessagePackWriter writer);

    private static string Written(WriteAction write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        write(ref writer);
        writer.Flush();
        return Convert.ToHexStringLower(output.WrittenSpan);
    }
}

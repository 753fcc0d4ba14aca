using System.Buffers;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

public sealed class MessagePackReaderTests
{
    // One value of every family (nil, bool, int, float, str, bin, array, map, ext).
    public static TheoryData<string> Tokens => new(
        "c0", "c3", "05", "e0", "cdffff", "d3ffffffffffffffff", "ca3f800000", "cb400a000000000000",
        "a3616263", "c40100", "920102", "81a16101", "d40102", "c70201ffff");

    [Theory]
    [MemberData(nameof(Tokens))]
    public void EveryTryRead_LeavesThePositionAlone_WhenTheFamilyIsWrong(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryPeekType(out var type));

        var accepted = new List<MessagePackType>();
        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadNil()))
        {
            accepted.Add(MessagePackType.Nil);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadBoolean(out _)))
        {
            accepted.Add(MessagePackType.Boolean);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadInteger(out _)))
        {
            accepted.Add(MessagePackType.Integer);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadDouble(out _)))
        {
            accepted.Add(MessagePackType.Float);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadStringSpan(out _)))
        {
            accepted.Add(MessagePackType.String);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadBinary(out _)))
        {
            accepted.Add(MessagePackType.Binary);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadArrayHeader(out _)))
        {
            accepted.Add(MessagePackType.Array);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadMapHeader(out _)))
        {
            accepted.Add(MessagePackType.Map);
        }

        if (Attempt(bytes, (ref MessagePackReader r) => r.TryReadExtension(out _, out _)))
        {
            accepted.Add(MessagePackType.Extension);
        }

        Assert.Equal([type], accepted);
    }

    [Theory]
    [MemberData(nameof(Tokens))]
    public void EveryTryRead_ReturnsFalse_OnEveryTruncation(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            // Container headers are left out: a header only bounds its elements by the bytes left,
            // so a truncated container can still have a readable header. TrySkip sees the truncation.
            var prefix = bytes[..cut];
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadNil()));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadBoolean(out _)));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadInteger(out _)));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadDouble(out _)));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadStringSpan(out _)));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadBinary(out _)));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TryReadExtension(out _, out _)));
            Assert.False(Attempt(prefix, (ref MessagePackReader r) => r.TrySkip()));
        }
    }

    [Theory]
    [InlineData("dbffffffff616263")] // str32 of 4 GiB, 3 bytes present
    [InlineData("c6ffffffff00")] // bin32
    [InlineData("c9ffffffff0100")] // ext32
    [InlineData("ddffffffff01")] // array32 of 2^32-1 elements
    [InlineData("dfffffffff0101")] // map32
    [InlineData("dd7fffffff")] // array32, count fits an int
    [InlineData("da0004616263")] // str16 one byte short
    [InlineData("dc00030102")] // array16 of 3 with 2 elements present
    [InlineData("de00020101")] // map16 of 2 pairs with one present
    public void HostileLengths_AreRefused_WithoutAllocating(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Probe(bytes); // JIT and first-call work happen outside the measurement.

        var before = GC.GetAllocatedBytesForCurrentThread();
        var anyAccepted = Probe(bytes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(anyAccepted);
        Assert.Equal(0, allocated);

        static bool Probe(byte[] bytes)
        {
            var reader = new MessagePackReader(bytes);
            return reader.TryReadStringSpan(out _) | reader.TryReadString(out _) | reader.TryReadBinary(out _)
                | reader.TryReadExtension(out _, out _) | reader.TryReadArrayHeader(out _) | reader.TryReadMapHeader(out _)
                | reader.TrySkip() | reader.Position != 0;
        }
    }

    [Fact]
    public void ContainerHeaders_AcceptCountsThatCanFit_AndNoMore()
    {
        var array = new MessagePackReader(Convert.FromHexString("dc0003010203"));
        Assert.True(array.TryReadArrayHeader(out var elements));
        Assert.Equal(3, elements);

        var map = new MessagePackReader(Convert.FromHexString("de000201010202"));
        Assert.True(map.TryReadMapHeader(out var pairs));
        Assert.Equal(2, pairs);

        var tooManyPairs = new MessagePackReader(Convert.FromHexString("de0002010102"));
        Assert.False(tooManyPairs.TryReadMapHeader(out _));
    }

    [Fact]
    public void TrySkip_ReportsTooDeep_For100kNestedArrays()
    {
        var bytes = new byte[100_001];
        bytes.AsSpan(0, 100_000).Fill(0x91);
        var reader = new MessagePackReader(bytes);

        Assert.False(reader.TrySkip(MessagePackReader.DefaultMaxDepth, out var tooDeep));
        Assert.True(tooDeep);
        Assert.Equal(0, reader.Position);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(40)]
    public void TrySkip_AcceptsNestingUpToTheLimit_AndNotOneLevelMore(int depth)
    {
        // depth fixarrays of one element around an int, then the same with one more level.
        var within = Nested(depth);
        var reader = new MessagePackReader(within);
        Assert.True(reader.TrySkip(depth, out var tooDeep));
        Assert.False(tooDeep);
        Assert.True(reader.End);

        var beyond = new MessagePackReader(Nested(depth + 1));
        Assert.False(beyond.TrySkip(depth, out tooDeep));
        Assert.True(tooDeep);

        // Maps count as a level too.
        var map = new MessagePackReader([.. Enumerable.Repeat((byte)0x91, depth), 0x81, 0x01, 0x02]);
        Assert.False(map.TrySkip(depth, out tooDeep));
        Assert.True(tooDeep);

        static byte[] Nested(int levels) => [.. Enumerable.Repeat((byte)0x91, levels), 0x07];
    }

    [Fact]
    public void TrySkip_ReportsMalformed_ForTheNeverUsedByte()
    {
        var reader = new MessagePackReader(Convert.FromHexString("92c1"));
        Assert.False(reader.TrySkip(4, out var tooDeep));
        Assert.False(tooDeep);
        Assert.True(new MessagePackReader([0xc1]).TryPeekType(out var type));
        Assert.Equal(MessagePackType.Invalid, type);
    }

    [Theory]
    [InlineData("d4" + "7f" + "aa", 127, "aa")]
    [InlineData("d5" + "01" + "aabb", 1, "aabb")]
    [InlineData("d6" + "ff" + "00010203", -1, "00010203")]
    [InlineData("d7" + "02" + "0001020304050607", 2, "0001020304050607")]
    [InlineData("d8" + "80" + "000102030405060708090a0b0c0d0e0f", -128, "000102030405060708090a0b0c0d0e0f")]
    [InlineData("c7" + "00" + "05", 5, "")]
    [InlineData("c8" + "0002" + "06" + "abcd", 6, "abcd")]
    [InlineData("c9" + "00000001" + "07" + "ee", 7, "ee")]
    public void Extensions_AreReadAndSkipped(string hex, int type, string payload)
    {
        var bytes = Convert.FromHexString(hex);
        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryReadExtension(out var extensionType, out var data));
        Assert.Equal(type, extensionType);
        Assert.Equal(payload, Convert.ToHexStringLower(data));
        Assert.True(reader.End);

        var skipper = new MessagePackReader([0x92, .. bytes, 0xc0]);
        Assert.True(skipper.TrySkip());
        Assert.True(skipper.End);
    }

    [Fact]
    public void TryReadString_RefusesMalformedUtf8_ButTheSpanIsStillReadable()
    {
        // An overlong '/', a lone continuation byte, and an encoded surrogate (U+D800).
        foreach (var hex in new[] { "a2c0af", "a180", "a3eda080" })
        {
            var reader = new MessagePackReader(Convert.FromHexString(hex));
            Assert.False(reader.TryReadString(out _));
            Assert.Equal(0, reader.Position);
            Assert.True(reader.TryReadStringSpan(out _));
        }
    }

    [Theory]
    [InlineData("d005", 5)] // a positive number in a signed form, as some encoders send
    [InlineData("cc05", 5)]
    [InlineData("d1ff80", -128)]
    [InlineData("cf0000000000000001", 1)]
    public void Integers_ReadTheSameValue_WhateverTheWidth(string hex, long expected)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.True(reader.TryReadInt64(out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void IntegerRanges_AreEnforced_AtTheEdgesOfInt64AndUInt64()
    {
        var max = Convert.FromHexString("cfffffffffffffffff");
        var reader = new MessagePackReader(max);
        Assert.False(reader.TryReadInt64(out _));
        Assert.True(reader.TryReadUInt64(out var unsigned));
        Assert.Equal(ulong.MaxValue, unsigned);

        var minusOne = new MessagePackReader([0xff]);
        Assert.False(minusOne.TryReadUInt64(out _));
        Assert.True(minusOne.TryReadInt64(out var signed));
        Assert.Equal(-1, signed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Writer_RefusesLoneSurrogates_AndWritesNothingOfThem(int sample)
    {
        // Built here, not passed as theory data: the test runner's serialization would replace the
        // lone surrogates with U+FFFD before the test saw them.
        var text = sample switch
        {
            0 => "a\ud800b", // a high surrogate without its low half
            1 => "a\udc00", // a low surrogate alone
            2 => "\udc00\ud800", // both halves, in the wrong order
            _ => "ok\ud83d", // a high surrogate at the very end
        };
        Assert.Contains(text, char.IsSurrogate);
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        writer.WriteString("ok");
        var refused = false;
        try
        {
            writer.WriteString(text);
        }
        catch (ArgumentException)
        {
            refused = true;
        }

        writer.WriteString("\ud83d\ude00"); // a proper pair (U+1F600) is still fine
        writer.Flush();
        Assert.True(refused);
        Assert.Equal("a26f6ba4f09f9880", Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Fact]
    public void Writer_RefusesNegativeCounts_AndWritesNothingOfThem()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        var refused = 0;
        try
        {
            writer.WriteArrayHeader(-1);
        }
        catch (ArgumentOutOfRangeException)
        {
            refused++;
        }

        try
        {
            writer.WriteMapHeader(-1);
        }
        catch (ArgumentOutOfRangeException)
        {
            refused++;
        }

        writer.WriteArrayHeader(0);
        writer.Flush();
        Assert.Equal(2, refused);
        Assert.Equal("90", Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Fact]
    public void Writer_UsesTheUnsignedForms_ForEveryNonNegativeInt64()
    {
        foreach (var value in new long[] { 0, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue })
        {
            var signed = new ArrayBufferWriter<byte>();
            var signedWriter = new MessagePackWriter(signed);
            signedWriter.WriteInt64(value);
            signedWriter.Flush();
            var unsigned = new ArrayBufferWriter<byte>();
            var unsignedWriter = new MessagePackWriter(unsigned);
            unsignedWriter.WriteUInt64((ulong)value);
            unsignedWriter.Flush();
            Assert.NotEqual(0, signed.WrittenCount);
            Assert.Equal(unsigned.WrittenSpan.ToArray(), signed.WrittenSpan.ToArray());
        }
    }

    [Fact]
    public void Writer_AllocatesNothing_ForAFindNodeResponseShapedBody()
    {
        var output = new ArrayBufferWriter<byte>(1024);
        Span<byte> id = stackalloc byte[20];
        WriteContacts(output, id);
        output.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        WriteContacts(output, id);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(274 - 21, output.WrittenCount);

        static void WriteContacts(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> id)
        {
            var writer = new MessagePackWriter(output);
            writer.WriteArrayHeader(7);
            for (var i = 0; i < 7; i++)
            {
                writer.WriteArrayHeader(3);
                writer.WriteBinary(id);
                writer.WriteStringUtf8("127.0.0.1"u8);
                writer.WriteInt64(18000 + i);
            }

            writer.Flush();
        }
    }

    private delegate bool ReadAttempt(ref MessagePackReader reader);

    /// <summary>Runs one Try* and checks it moved the reader only if it succeeded.</summary>
    private static bool Attempt(ReadOnlySpan<byte> bytes, ReadAttempt attempt)
    {
        var reader = new MessagePackReader(bytes);
        var accepted = attempt(ref reader);
        if (!accepted)
        {
            Assert.Equal(0, reader.Position);
        }
        else
        {
            Assert.True(reader.Position > 0);
        }

        return accepted;
    }
}

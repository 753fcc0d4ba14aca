using System.Numerics;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

public sealed class DhtValueTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "ff")]
    [InlineData(1234567L, "ce0012d687")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(long.MinValue, "d38000000000000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    public void FromInt64_HoldsPythonsEncoding(long value, string hex)
    {
        var dhtValue = DhtValue.FromInt64(value);
        Assert.Equal(DhtValueKind.Integer, dhtValue.Kind);
        Assert.Equal(hex, Convert.ToHexStringLower(dhtValue.Encoded.Span));
        Assert.Equal(value, dhtValue.AsInt64());
    }

    [Fact]
    public void FromUInt64_CoversTheWholeUnsignedRange()
    {
        var max = DhtValue.FromUInt64(ulong.MaxValue);
        Assert.Equal("cfffffffffffffffff", Convert.ToHexStringLower(max.Encoded.Span));
        Assert.Equal(ulong.MaxValue, max.AsUInt64());
        Assert.False(max.TryGetInt64(out _));
        Assert.Throws<OverflowException>(() => max.AsInt64());
        Assert.Equal("18446744073709551615", max.ToString());

        Assert.Throws<OverflowException>(() => DhtValue.FromInt64(-1).AsUInt64());
        Assert.Equal(DhtValue.FromInt64(42), DhtValue.FromUInt64(42));
    }

    [Fact]
    public void TryFromInteger_AcceptsExactlyTheInt64AndUInt64Range()
    {
        Assert.True(DhtValue.TryFromInteger(new BigInteger(long.MinValue), out var min));
        Assert.Equal(long.MinValue, min.AsInt64());
        Assert.True(DhtValue.TryFromInteger(new BigInteger(ulong.MaxValue), out var max));
        Assert.Equal(ulong.MaxValue, max.AsUInt64());
        Assert.False(DhtValue.TryFromInteger(new BigInteger(long.MinValue) - 1, out _));
        Assert.False(DhtValue.TryFromInteger(new BigInteger(ulong.MaxValue) + 1, out _));
    }

    [Fact]
    public void EachKind_RoundTrips_ThroughItsAccessor()
    {
        Assert.Equal("my awesome value", DhtValue.FromString("my awesome value").AsString());
        Assert.Equal("Grüße 😀", DhtValue.FromString("Grüße 😀").AsString());
        Assert.Equal(new byte[] { 0, 255, 16 }, DhtValue.FromBytes([0, 255, 16]).AsBytes());
        Assert.Equal(3.25, DhtValue.FromDouble(3.25).AsDouble());
        Assert.True(DhtValue.FromBoolean(true).AsBoolean());
        Assert.False(DhtValue.FromBoolean(false).AsBoolean());
        Assert.Equal("cb400a000000000000", Convert.ToHexStringLower(DhtValue.FromDouble(3.25).Encoded.Span));
        Assert.Equal("c40300ff10", Convert.ToHexStringLower(DhtValue.FromBytes([0, 255, 16]).Encoded.Span));
    }

    [Fact]
    public void Accessors_Throw_ForAnotherKind()
    {
        Assert.Throws<InvalidOperationException>(() => DhtValue.FromInt64(1).AsString());
        Assert.Throws<InvalidOperationException>(() => DhtValue.FromString("1").AsInt64());
        Assert.Throws<InvalidOperationException>(() => DhtValue.FromInt64(1).AsDouble());
        Assert.Throws<InvalidOperationException>(() => DhtValue.FromBytes([1]).AsBoolean());
        Assert.Throws<InvalidOperationException>(() => DhtValue.FromBoolean(true).AsBytes());
    }

    [Fact]
    public void Equality_IsByEncoding()
    {
        Assert.Equal(DhtValue.FromString("a"), DhtValue.FromString("a"));
        Assert.Equal(DhtValue.FromString("a").GetHashCode(), DhtValue.FromString("a").GetHashCode());
        Assert.NotEqual(DhtValue.FromString("a"), DhtValue.FromBytes("a"u8));
        Assert.NotEqual(DhtValue.FromInt64(1), DhtValue.FromDouble(1.0));
        Assert.NotEqual(DhtValue.FromDouble(0.0), DhtValue.FromDouble(-0.0));
    }

    [Fact]
    public void FromString_Throws_ForALoneSurrogate()
    {
        Assert.ThrowsAny<ArgumentException>(() => DhtValue.FromString("\udc00"));
    }

    [Theory]
    [InlineData("c0")] // nil: cannot be told from "absent"
    [InlineData("90")] // array: breaks Python gets
    [InlineData("80")] // map
    [InlineData("d40100")] // extension
    [InlineData("c1")] // never used
    [InlineData("a2c0af")] // str that is not UTF-8
    [InlineData("0101")] // something follows the value
    [InlineData("cd01")] // truncated
    [InlineData("")]
    public void TryDecode_Refuses_WhatPythonPeersCannotLiveWith(string hex)
    {
        Assert.False(DhtValue.TryDecode(Convert.FromHexString(hex), out var value));
        Assert.Null(value);
    }

    [Theory]
    [InlineData("d005", "05")] // int8 holding 5 becomes a fixint
    [InlineData("cf0000000000000080", "cc80")]
    [InlineData("d3ffffffffffffffff", "ff")]
    [InlineData("ca40500000", "cb400a000000000000")] // float32 3.25 becomes float64 3.25
    [InlineData("d90161", "a161")] // str8 of one byte becomes a fixstr
    [InlineData("c60000000100", "c40100")] // bin32 of one byte becomes bin8
    [InlineData("a3616263", "a3616263")]
    [InlineData("c3", "c3")]
    public void TryDecode_HoldsTheCanonicalEncoding_ThatPythonWouldSend(string received, string held)
    {
        Assert.True(DhtValue.TryDecode(Convert.FromHexString(received), out var value));
        Assert.Equal(held, Convert.ToHexStringLower(value.Encoded.Span));
        Assert.True(DhtValue.TryDecode(value.Encoded.Span, out var again));
        Assert.Equal(value, again);
    }

    [Fact]
    public void ToString_IsReadable_ForEveryKind()
    {
        Assert.Equal("-42", DhtValue.FromInt64(-42).ToString());
        Assert.Equal("3.25", DhtValue.FromDouble(3.25).ToString());
        Assert.Equal("NaN", DhtValue.FromDouble(double.NaN).ToString());
        Assert.Equal("true", DhtValue.FromBoolean(true).ToString());
        Assert.Equal("'my awesome value'", DhtValue.FromString("my awesome value").ToString());
        Assert.Equal("bin[3]:00ff10", DhtValue.FromBytes([0, 255, 16]).ToString());
        Assert.Equal($"'{new string('x', 64)}…' (100 bytes)", DhtValue.FromString(new string('x', 100)).ToString());
        Assert.Equal($"bin[100]:{new string('a', 128)}…", DhtValue.FromBytes(Enumerable.Repeat((byte)0xaa, 100).ToArray()).ToString());
    }
}

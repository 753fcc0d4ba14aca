using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// Input no honest peer sends. Every case must be dropped for its exact reason, without an
/// exception and without allocating beyond the datagram's own size.
/// </summary>
public sealed class WireCodecHostileInputTests
{
    private const string Id = "c414" + "2222222222222222222222222222222222222222";
    private const string Ping = "a470696e67";
    private const string Store = "a573746f7265";
    private const string FindNode = "a966696e645f6e6f6465";
    private const string Stun = "a47374756e";
    private const string Localhost = "a93132372e302e302e31"; // '127.0.0.1'
    private const string PortHex = "cd4652"; // 18002

    // Allocation allowed beyond the datagram's size when decoding it (the decoded records of a valid one).
    private const int SmallConstant = 64;

    public static TheoryData<int> Lines => RpcCaptures.Lines;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(21)]
    public void Envelope_IsTooShort_UnderTwentyTwoBytes(int length)
    {
        Assert.False(WireCodec.TryReadEnvelope(new byte[length], out _, out var reason));
        Assert.Equal(DropReason.TooShort, reason);
    }

    [Theory]
    [InlineData(0x04)]
    [InlineData(0x10)]
    [InlineData(0x80)]
    [InlineData(0xff)]
    public void Envelope_HasUnknownType_ForTypeBytesBeyondTheFour(byte type)
    {
        var datagram = Datagram(type, "92" + Ping + "91" + Id);
        Assert.False(WireCodec.TryReadEnvelope(datagram, out _, out var reason));
        Assert.Equal(DropReason.UnknownType, reason);
    }

    [Theory]
    [InlineData("c1", DropReason.MalformedBody)]
    [InlineData("92" + Ping + "91" + "c414222222", DropReason.MalformedBody)] // the id runs past the end
    [InlineData("dbffffffff", DropReason.MalformedBody)] // a 4 GB str
    [InlineData("c6ffffffff", DropReason.MalformedBody)] // a 4 GB bin
    [InlineData("ddffffffff", DropReason.MalformedBody)] // a 4-billion-element array
    [InlineData("dfffffffff", DropReason.MalformedBody)] // a 4-billion-pair map
    [InlineData("c9ffffffff01", DropReason.MalformedBody)] // a 4 GB extension
    [InlineData("92" + Store + "93" + Id + Id + "dbffffffff61", DropReason.MalformedBody)] // a 4 GB value inside a store
    [InlineData("92" + Ping + "dd7fffffff" + Id, DropReason.MalformedBody)] // an argument count past the end
    [InlineData("92" + Ping + "91" + Id + "00", DropReason.TrailingBytes)]
    [InlineData("92" + Ping + "91" + Id + "c0c0c0", DropReason.TrailingBytes)]
    [InlineData(Ping, DropReason.WrongShape)] // not an array
    [InlineData("91" + Ping, DropReason.WrongShape)]
    [InlineData("93" + Ping + "91" + Id + "c0", DropReason.WrongShape)]
    [InlineData("92c404" + "70696e67" + "91" + Id, DropReason.WrongShape)] // name as bin
    [InlineData("92" + "07" + "91" + Id, DropReason.WrongShape)] // name as int
    [InlineData("92" + Ping + Id, DropReason.WrongShape)] // arguments not an array
    [InlineData("92" + Ping + "90", DropReason.WrongShape)] // too few arguments
    [InlineData("92" + Ping + "92" + Id + Id, DropReason.WrongShape)] // too many arguments
    [InlineData("92" + Stun + "91" + Id, DropReason.WrongShape)]
    [InlineData("92" + Store + "92" + Id + Id, DropReason.WrongShape)]
    [InlineData("92" + "a4706f6e67" + "91" + Id, DropReason.UnknownMethod)] // 'pong'
    [InlineData("92" + "a450494e47" + "91" + Id, DropReason.UnknownMethod)] // 'PING'
    [InlineData("92" + "a0" + "90", DropReason.UnknownMethod)] // ''
    [InlineData("92" + "a8" + "7270635f70696e67" + "91" + Id, DropReason.UnknownMethod)] // 'rpc_ping'
    [InlineData("92" + "a2" + "c0af" + "90", DropReason.UnknownMethod)] // not UTF-8
    [InlineData("92" + Ping + "91" + "b4" + "3232323232323232323232323232323232323232", DropReason.WrongArgumentType)] // id as str
    [InlineData("92" + Ping + "91" + "07", DropReason.WrongArgumentType)]
    [InlineData("92" + Ping + "91" + "c0", DropReason.WrongArgumentType)]
    [InlineData("92" + FindNode + "92" + Id + "a0", DropReason.WrongArgumentType)]
    [InlineData("92" + Ping + "91" + "c413" + "22222222222222222222222222222222222222", DropReason.WrongIdLength)]
    [InlineData("92" + Ping + "91" + "c415" + "222222222222222222222222222222222222222222", DropReason.WrongIdLength)]
    [InlineData("92" + Ping + "91" + "c400", DropReason.WrongIdLength)]
    [InlineData("92" + FindNode + "92" + Id + "c40122", DropReason.WrongIdLength)]
    [InlineData("92" + Store + "93" + Id + Id + "c0", DropReason.InvalidValue)] // nil
    [InlineData("92" + Store + "93" + Id + Id + "9101", DropReason.InvalidValue)] // array
    [InlineData("92" + Store + "93" + Id + Id + "81a161a162", DropReason.InvalidValue)] // map
    [InlineData("92" + Store + "93" + Id + Id + "d40100", DropReason.InvalidValue)] // extension
    [InlineData("92" + Store + "93" + Id + Id + "a2c0af", DropReason.InvalidValue)] // str that is not UTF-8
    [InlineData("92" + Store + "93" + Id + Id + "91919191919191919191919191919101", DropReason.TooDeep)] // 17 levels in all
    [InlineData("92" + Store + "93" + Id + Id + "919101", DropReason.InvalidValue)] // 4 levels: deep enough to parse, still no value
    public void Request_IsDropped_ForItsExactReason(string body, DropReason expected)
    {
        var datagram = Datagram(0x00, body);
        Assert.Equal(expected, WireAssert.RequestDropReason(datagram));
        AssertAllocationBounded(datagram, method: null);
    }

    [Theory]
    [InlineData(RpcMethod.Ping, "a3616263", DropReason.WrongArgumentType)]
    [InlineData(RpcMethod.Ping, "90", DropReason.WrongArgumentType)]
    [InlineData(RpcMethod.Ping, "c413" + "11111111111111111111111111111111111111", DropReason.WrongIdLength)]
    [InlineData(RpcMethod.Store, "01", DropReason.WrongArgumentType)]
    [InlineData(RpcMethod.Store, "c0", DropReason.WrongArgumentType)]
    [InlineData(RpcMethod.FindNode, "c3", DropReason.WrongShape)]
    [InlineData(RpcMethod.FindNode, "91c3", DropReason.WrongShape)]
    [InlineData(RpcMethod.FindNode, "9192" + Id + Localhost, DropReason.WrongShape)]
    [InlineData(RpcMethod.FindNode, "9194" + Id + Localhost + PortHex + "c0", DropReason.WrongShape)]
    [InlineData(RpcMethod.FindNode, "9193" + Localhost + Id + PortHex, DropReason.WrongArgumentType)]
    [InlineData(RpcMethod.FindNode, "9193" + Id + "c409" + "3132372e302e302e31" + PortHex, DropReason.WrongArgumentType)] // ip as bin
    [InlineData(RpcMethod.FindNode, "9193" + Id + Localhost + "a53138303032", DropReason.WrongArgumentType)] // port as str
    [InlineData(RpcMethod.FindNode, "9193" + Id + Localhost + "cb40d1948000000000", DropReason.WrongArgumentType)] // port as float
    [InlineData(RpcMethod.FindNode, "9193" + "c413" + "22222222222222222222222222222222222222" + Localhost + PortHex, DropReason.WrongIdLength)]
    [InlineData(RpcMethod.FindValue, "c3", DropReason.WrongShape)]
    [InlineData(RpcMethod.FindValue, "80", DropReason.WrongShape)]
    [InlineData(RpcMethod.FindValue, "81a376616c01", DropReason.WrongShape)] // {'val': 1}
    [InlineData(RpcMethod.FindValue, "810101", DropReason.WrongShape)] // {1: 1}
    [InlineData(RpcMethod.FindValue, "82a576616c756501a17802", DropReason.WrongShape)] // two entries
    [InlineData(RpcMethod.FindValue, "81a576616c7565c0", DropReason.InvalidValue)]
    [InlineData(RpcMethod.FindValue, "81a576616c75659101", DropReason.InvalidValue)]
    [InlineData(RpcMethod.Stun, "91" + Localhost, DropReason.WrongShape)]
    [InlineData(RpcMethod.Stun, "93" + Localhost + PortHex + "00", DropReason.WrongShape)]
    [InlineData(RpcMethod.Stun, "94" + "a3" + "3a3a31" + PortHex + "a0" + "00", DropReason.WrongArgumentType)]
    [InlineData(RpcMethod.Stun, "92" + Localhost + "cd0000", DropReason.InvalidAddress)]
    [InlineData(RpcMethod.Ping, "c414" + "1111111111111111111111111111111111111111" + "c3", DropReason.TrailingBytes)]
    [InlineData(RpcMethod.FindNode, "ddffffffff", DropReason.MalformedBody)]
    public void Response_IsDropped_ForItsExactReason(RpcMethod method, string body, DropReason expected)
    {
        var datagram = Datagram(0x01, body);
        Assert.Equal(expected, WireAssert.ResponseDropReason(method, datagram));
        AssertAllocationBounded(datagram, method);
    }

    // Issue 14, item 7: Python keeps bootstrap addresses as written ('localhost'); one contact Liaa cannot
    // use costs that contact, not the whole answer.
    [Theory]
    [InlineData("9193" + Id + "a53132372e31" + PortHex)] // '127.1'
    [InlineData("9193" + Id + "a9" + "3939392e302e302e31" + PortHex)] // '999.0.0.1'
    [InlineData("9193" + Id + "aa" + "3132372e302e302e3120" + PortHex)] // trailing space
    [InlineData("9193" + Id + "a9" + "6c6f63616c686f7374" + PortHex)] // 'localhost'
    [InlineData("9193" + Id + "a5" + "5b3a3a315d" + PortHex)] // '[::1]'
    [InlineData("9193" + Id + "a0" + PortHex)]
    [InlineData("9193" + Id + Localhost + "00")] // port 0
    [InlineData("9193" + Id + Localhost + "ce00010000")] // port 65536
    [InlineData("9193" + Id + Localhost + "ff")] // port -1
    public void Response_SkipsAContactWhoseAddressIsUnusable_AndKeepsTheAnswer(string body)
    {
        var (_, response) = WireAssert.DecodeResponse(RpcMethod.FindNode, Datagram(0x01, body));
        Assert.Empty(((FindNodeResponse)response).Contacts);
    }

    [Theory]
    [InlineData(RpcMethod.Store, "c2")] // Python answers true; false is still a well-formed answer
    [InlineData(RpcMethod.FindNode, "90")]
    [InlineData(RpcMethod.FindValue, "90")]
    [InlineData(RpcMethod.Stun, "92" + Localhost + PortHex)]
    [InlineData(RpcMethod.Stun, "94" + "a3" + "3a3a31" + PortHex + "00" + "00")] // Python over IPv6: (ip, port, flowinfo, scope_id)
    [InlineData(RpcMethod.FindNode, "9193" + Id + "a7" + "666538303a3a31" + PortHex)] // 'fe80::1'
    [InlineData(RpcMethod.FindNode, "9193" + Id + "b0" + "3a3a666666663a3132372e302e302e31" + PortHex)] // '::ffff:127.0.0.1'
    public void Response_IsAccepted_InTheEdgeFormsPythonPeersMaySend(RpcMethod method, string body)
    {
        Assert.Equal(DropReason.None, WireAssert.ResponseDropReason(method, Datagram(0x01, body)));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("10.20.30.40", true)]
    [InlineData("::1", true)]
    [InlineData("2001:db8::8a2e:370:7334", true)]
    [InlineData("::ffff:192.0.2.1", true)]
    [InlineData("fe80::1%2", true)]
    [InlineData("256.0.0.1", false)]
    [InlineData("1.2.3", false)]
    [InlineData("1.2.3.4.5", false)]
    [InlineData("1..3.4", false)]
    [InlineData("1.2.3.4.", false)]
    [InlineData(".1.2.3.4", false)]
    [InlineData("01.2.3.4", false)]
    [InlineData("1.2.3.04", false)]
    [InlineData("1234.1.1.1", false)]
    [InlineData("0x7f.0.0.1", false)]
    [InlineData("127.1", false)]
    [InlineData("2130706433", false)]
    [InlineData("1.2.3.-4", false)]
    [InlineData("1.2.3.4:80", false)]
    [InlineData("[::1]:80", false)]
    [InlineData("::1/128", false)]
    [InlineData(":::", false)]
    [InlineData("1:2:3:4:5:6:7:8:9", false)]
    [InlineData("example.com", false)]
    public void ContactAddress_IsParsedStrictly(string ip, bool accepted)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(ip);
        var body = "9193" + Id + "d9" + text.Length.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexString(text) + PortHex;
        var datagram = Datagram(0x01, body);
        var (_, response) = WireAssert.DecodeResponse(RpcMethod.FindNode, datagram);
        var contacts = ((FindNodeResponse)response).Contacts;
        Assert.Equal(accepted ? 1 : 0, contacts.Count);
        if (accepted)
        {
            Assert.Equal(System.Net.IPAddress.Parse(ip), contacts[0].EndPoint.Address);
        }
    }

    [Fact]
    public void Decode_RefusesTheWrongKind_OfEnvelope()
    {
        var request = Datagram(0x00, "92" + Ping + "91" + Id);
        Assert.True(WireCodec.TryReadEnvelope(request, out var envelope, out _));
        Assert.False(WireCodec.TryDecodeResponse(RpcMethod.Ping, envelope.GetBody(request), envelope, out _, out var reason));
        Assert.Equal(DropReason.UnknownType, reason);

        var response = Datagram(0x01, "92" + Ping + "91" + Id);
        Assert.True(WireCodec.TryReadEnvelope(response, out envelope, out _));
        Assert.False(WireCodec.TryDecodeRequest(envelope.GetBody(response), envelope, out _, out reason));
        Assert.Equal(DropReason.UnknownType, reason);
    }

    [Fact]
    public void Request_IsTooDeep_For100kNestedArrays()
    {
        var body = new byte[100_001];
        body.AsSpan(0, 100_000).Fill(0x91);
        var datagram = Datagram(0x00, Convert.ToHexString(body));

        Assert.Equal(DropReason.TooDeep, WireAssert.RequestDropReason(datagram));
        Assert.Equal(DropReason.TooDeep, WireAssert.ResponseDropReason(RpcMethod.FindNode, Datagram(0x01, Convert.ToHexString(body))));
        AssertAllocationBounded(datagram, method: null);
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Capture_IsDropped_AtEveryTruncation_AndWithAnyByteAppended(int line)
    {
        var capture = RpcCaptures.AtLine(line);
        var method = RpcCaptures.MethodOf(capture);
        for (var length = 0; length < capture.Datagram.Length; length++)
        {
            var expected = length < WireCodec.MinDatagramSize ? DropReason.TooShort : DropReason.MalformedBody;
            Assert.Equal(expected, Reason(capture.Datagram[..length]));
        }

        Assert.Equal(DropReason.TrailingBytes, Reason([.. capture.Datagram, 0x00]));
        AssertAllocationBounded(capture.Datagram[..^1], capture.IsRequest ? null : method);

        DropReason Reason(byte[] datagram) => capture.IsRequest
            ? WireAssert.RequestDropReason(datagram)
            : WireAssert.ResponseDropReason(method, datagram);
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Capture_AllocatesInProportionToItsSize_WhenAccepted(int line)
    {
        var capture = RpcCaptures.AtLine(line);
        var method = RpcCaptures.MethodOf(capture);
        Assert.Equal(DropReason.None, Drop(capture.Datagram, capture.IsRequest ? null : method));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var reason = Drop(capture.Datagram, capture.IsRequest ? null : method);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Records, contacts, endpoints and addresses: a few times the bytes they were read from (none for a PING
        // answer or IPv4 contacts decoded a moment before: RecentlyDecoded).
        Assert.Equal(DropReason.None, reason);
        Assert.InRange(allocated, 0, (8 * capture.Datagram.Length) + 512);
    }

    private static byte[] Datagram(byte type, string bodyHex) =>
        [type, .. Convert.FromHexString("d51e85dfb9ef026854e2bd9aff9ffe6c7d625da5"), .. Convert.FromHexString(bodyHex)];

    /// <summary>Decodes as the RPC layer will (request when <paramref name="method"/> is null), with no assertion allocating inside the measurement.</summary>
    private static void AssertAllocationBounded(byte[] datagram, RpcMethod? method)
    {
        var expected = Drop(datagram, method); // JIT and lazy statics outside the measurement

        var before = GC.GetAllocatedBytesForCurrentThread();
        var reason = Drop(datagram, method);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(expected, reason);
        Assert.NotEqual(DropReason.None, reason);
        Assert.InRange(allocated, 0, datagram.Length + SmallConstant);
    }

    private static DropReason Drop(byte[] datagram, RpcMethod? method)
    {
        if (!WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason))
        {
            return reason;
        }

        _ = method is null
            ? WireCodec.TryDecodeRequest(envelope.GetBody(datagram), envelope, out _, out reason)
            : WireCodec.TryDecodeResponse(method.Value, envelope.GetBody(datagram), envelope, out _, out reason);
        return reason;
    }
}

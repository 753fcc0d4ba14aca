using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>The Liaa-to-Liaa forms (type bytes 0x02/0x03 with a header) and the plain forms' contract around them.</summary>
public sealed class WireCodecExtendedFormTests
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly MessageId Id = MessageId.NewLiaa(new Random(3), LiaaIdFlags.ClientMode);
    private static readonly NodeId Sender = NodeId.FromKey("sender");
    private static readonly NodeId Key = NodeId.FromKey("my-key");
    private static readonly DateTimeOffset PublishedAt = new(2025, 6, 1, 12, 30, 15, 250, TimeSpan.Zero);
    private static readonly LiaaHeader Header = new(MessageId.LiaaProtocolVersion, TraceParent, "congo=t61rcWkgMzE");

    public static TheoryData<int> Requests => new(Enumerable.Range(0, AllRequests().Length));

    public static TheoryData<int> Responses => new(Enumerable.Range(0, AllResponses().Length));

    [Theory]
    [MemberData(nameof(Requests))]
    public void Request_RoundTrips_InTheExtendedForm(int index)
    {
        var request = AllRequests()[index];
        var datagram = WireAssert.Request(Id, request, Header);

        Assert.Equal(0x02, datagram[0]);
        var (envelope, decoded) = WireAssert.DecodeRequest(datagram);
        Assert.True(envelope.IsExtended);
        Assert.Equal(Header, envelope.Header);
        Assert.Equal(Id, envelope.Id);
        Assert.Equal(request, decoded);

        // After the header comes exactly the plain form's body.
        var plain = WireAssert.Request(Id, request);
        Assert.Equal(plain[WireCodec.PrefixSize..], datagram[envelope.BodyOffset..]);
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void Response_RoundTrips_InTheExtendedForm(int index)
    {
        var response = AllResponses()[index];
        var datagram = WireAssert.Response(Id, response, Header);

        Assert.Equal(0x03, datagram[0]);
        var (envelope, decoded) = WireAssert.DecodeResponse(response.Method, datagram);
        Assert.True(envelope.IsExtended);
        Assert.Equal(Header, envelope.Header);
        WireAssert.ResponsesEqual(response, decoded);
    }

    [Fact]
    public void ExtendedStore_CarriesPublicationTimeAndCacheTtl_InTheHeader()
    {
        var store = new StoreRequest(Sender, Key, DhtValue.FromString("v")) { PublishedAt = PublishedAt, CacheTtl = TimeSpan.FromMinutes(90) };
        var datagram = WireAssert.Request(Id, store, LiaaHeader.Current);

        // 0x02, id, {"v": 1, "pt": 1748781015250, "ttl": 5400000} (python3-msgpack's bytes for it), then the plain body.
        var header = Convert.ToHexStringLower(datagram.AsSpan(WireCodec.PrefixSize, 1 + 2 + 1 + 3 + 9 + 4 + 5));
        Assert.Equal("83" + "a176" + "01" + "a27074" + "cf000001972b78a0d2" + "a374746c" + "ce005265c0", header);

        var (envelope, decoded) = WireAssert.DecodeRequest(datagram);
        Assert.Equal(PublishedAt, envelope.PublishedAt);
        Assert.Equal(TimeSpan.FromMinutes(90), envelope.CacheTtl);
        Assert.Equal(store, decoded);
    }

    [Fact]
    public void ExtendedHit_CarriesThePublicationTime()
    {
        var hit = FindValueResponse.Hit(DhtValue.FromInt64(7), PublishedAt);
        var (_, decoded) = WireAssert.DecodeResponse(RpcMethod.FindValue, WireAssert.Response(Id, hit, LiaaHeader.Current));
        Assert.Equal(PublishedAt, ((FindValueResponse)decoded).PublishedAt);
    }

    [Fact]
    public void PlainForm_NeverCarriesLiaaOnlyFields_SoPythonSeesItsOwnBytes()
    {
        var bare = new StoreRequest(Sender, Key, DhtValue.FromInt64(1234567));
        var dressed = bare with { PublishedAt = PublishedAt, CacheTtl = TimeSpan.FromSeconds(5) };
        Assert.Equal(WireAssert.Request(Id, bare), WireAssert.Request(Id, dressed));
        Assert.Equal(0x00, WireAssert.Request(Id, dressed)[0]);

        var hit = FindValueResponse.Hit(DhtValue.FromString("x"));
        Assert.Equal(WireAssert.Response(Id, hit), WireAssert.Response(Id, FindValueResponse.Hit(DhtValue.FromString("x"), PublishedAt)));

        var (envelope, decoded) = WireAssert.DecodeRequest(WireAssert.Request(Id, dressed));
        Assert.False(envelope.IsExtended);
        Assert.Equal(bare, decoded);
    }

    [Fact]
    public void PlainPing_IsTheDatagramOfWireMd_ByteForByte()
    {
        var id = MessageId.Read(Convert.FromHexString("d51e85dfb9ef026854e2bd9aff9ffe6c7d625da5"));
        var ping = new PingRequest(NodeId.Parse("2222222222222222222222222222222222222222"));
        Assert.Equal(
            "00" + "d51e85dfb9ef026854e2bd9aff9ffe6c7d625da5" + "92" + "a470696e67" + "91" + "c414" + "2222222222222222222222222222222222222222",
            Convert.ToHexStringLower(WireAssert.Request(id, ping)));
    }

    [Theory]
    [InlineData("84" + "a176" + "01" + "a3756e6b" + "93010203" + "a1ff" + "81a161c3" + "a474726163" + "c0", 1)] // unknown keys with any values
    [InlineData("81" + "a176" + "ccff", 255)]
    [InlineData("81" + "a176" + "00", 0)]
    public void Header_SkipsUnknownKeys_ForForwardCompatibility(string headerHex, int version)
    {
        var datagram = Extended(headerHex, "92a470696e6791c414" + new string('2', 40));
        var (envelope, request) = WireAssert.DecodeRequest(datagram);
        Assert.Equal(new LiaaHeader((byte)version), envelope.Header);
        Assert.IsType<PingRequest>(request);
    }

    [Theory]
    [InlineData("80")] // no version
    [InlineData("81" + "a174" + "01")] // no version, an unknown key
    [InlineData("81" + "a176" + "cd0100")] // version 256
    [InlineData("81" + "a176" + "ff")] // version -1
    [InlineData("81" + "a176" + "a131")] // version as str
    [InlineData("82" + "a176" + "01" + "a176" + "01")] // duplicate key
    [InlineData("82" + "a176" + "01" + "a27470" + "01")] // traceparent not a str
    [InlineData("82" + "a176" + "01" + "a27473" + "a2c0af")] // tracestate not UTF-8
    [InlineData("82" + "a176" + "01" + "a27074" + "d3ff00000000000000")] // publication time before year 1
    [InlineData("82" + "a176" + "01" + "a374746c" + "ff")] // negative TTL
    [InlineData("82" + "a176" + "01" + "a374746c" + "cb3ff0000000000000")] // TTL as float
    [InlineData("82" + "a176" + "01" + "01" + "01")] // non-str key
    [InlineData("92" + "a176" + "01")] // an array, not a map
    [InlineData("dfffffffff")] // 4-billion-pair map
    [InlineData("de0011" + "a17601" + "a16100" + "a16200" + "a16300" + "a16400" + "a16500" + "a16600" + "a16700" + "a16800"
        + "a16900" + "a16a00" + "a16b00" + "a16c00" + "a16d00" + "a16e00" + "a16f00" + "a17000")] // 17 entries
    [InlineData("82" + "a176" + "01" + "a178" + "9191919191919191919191919191919100")] // an unknown value nested too deep
    public void Header_IsMalformed_WhenItCannotBeTrusted(string headerHex)
    {
        var datagram = Extended(headerHex, "92a470696e6791c414" + new string('2', 40));
        Assert.Equal(DropReason.MalformedHeader, WireAssert.RequestDropReason(datagram));
    }

    [Fact]
    public void ExtendedDatagram_IsTooShort_WhenNothingFollowsTheHeader()
    {
        Assert.Equal(DropReason.TooShort, WireAssert.RequestDropReason(Extended("81a17601", "")));
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void ExtendedRequest_IsDropped_AtEveryTruncation(int index)
    {
        var datagram = WireAssert.Request(Id, AllRequests()[index], Header);
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out _));
        for (var length = 0; length < datagram.Length; length++)
        {
            var expected = length < WireCodec.MinDatagramSize ? DropReason.TooShort
                : length < envelope.BodyOffset ? DropReason.MalformedHeader
                : length == envelope.BodyOffset ? DropReason.TooShort
                : DropReason.MalformedBody;
            Assert.Equal(expected, WireAssert.RequestDropReason(datagram.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Write_Refuses_RecordsNoPeerWouldAccept()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var both = new FindValueResponse(DhtValue.FromInt64(1), [new Contact(Sender, new IPEndPoint(IPAddress.Loopback, 8468))]);
        Assert.Throws<ArgumentException>(() => WireCodec.WriteResponse(output, Id, both, null));
        var noPort = new FindNodeResponse([new Contact(Sender, new IPEndPoint(IPAddress.Loopback, 0))]);
        Assert.Throws<ArgumentException>(() => WireCodec.WriteResponse(output, Id, noPort, null));
        var stunNoPort = new StunResponse(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Throws<ArgumentException>(() => WireCodec.WriteResponse(output, Id, stunNoPort, LiaaHeader.Current));
        var negativeTtl = new StoreRequest(Sender, Key, DhtValue.FromInt64(1)) { CacheTtl = TimeSpan.FromSeconds(-1) };
        Assert.Throws<ArgumentOutOfRangeException>(() => WireCodec.WriteRequest(output, Id, negativeTtl, LiaaHeader.Current));
        Assert.Throws<ArgumentException>(() => WireCodec.WriteRequest(output, Id, new UnknownRequest(), null));
        Assert.Throws<ArgumentException>(() => WireCodec.WriteResponse(output, Id, new UnknownResponse(), null));

        // Refused before the first byte, so the buffer can be reused as is.
        Assert.Equal(0, output.WrittenCount);

        // The plain form carries no TTL, so a negative one does not matter there.
        WireCodec.WriteRequest(output, Id, negativeTtl, header: null);
        Assert.Equal(WireAssert.Request(Id, negativeTtl with { CacheTtl = null }), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void MethodNames_AreThePythonNames_AndParseBack()
    {
        Assert.Equal(["ping", "store", "find_node", "find_value", "stun"], Enum.GetValues<RpcMethod>().Select(WireCodec.MethodName));
        foreach (var method in Enum.GetValues<RpcMethod>())
        {
            Assert.True(WireCodec.TryParseMethod(System.Text.Encoding.UTF8.GetBytes(WireCodec.MethodName(method)), out var parsed));
            Assert.Equal(method, parsed);
        }

        Assert.False(WireCodec.TryParseMethod("Ping"u8, out _));
        Assert.False(WireCodec.TryParseMethod("ping\0"u8, out _));
    }

    private sealed record UnknownRequest : RpcRequest
    {
        public override RpcMethod Method => RpcMethod.Ping;
    }

    private sealed record UnknownResponse : RpcResponse
    {
        public override RpcMethod Method => RpcMethod.Ping;
    }

    private static byte[] Extended(string headerHex, string bodyHex) =>
        [0x02, .. Id.ToByteArray(), .. Convert.FromHexString(headerHex), .. Convert.FromHexString(bodyHex)];

    private static RpcRequest[] AllRequests() =>
    [
        new PingRequest(Sender),
        new StoreRequest(Sender, Key, DhtValue.FromString("my awesome value")),
        new StoreRequest(Sender, Key, DhtValue.FromDouble(3.25)) { PublishedAt = PublishedAt },
        new StoreRequest(Sender, Key, DhtValue.FromBytes(new byte[8000])) { PublishedAt = PublishedAt, CacheTtl = TimeSpan.FromHours(1) },
        new StoreRequest(Sender, Key, DhtValue.FromUInt64(ulong.MaxValue)) { CacheTtl = TimeSpan.Zero },
        new FindNodeRequest(Sender, Key),
        new FindValueRequest(Sender, Key),
        new StunRequest(),
    ];

    private static RpcResponse[] AllResponses() =>
    [
        new PingResponse(Sender),
        new StoreResponse(true),
        new FindNodeResponse([]),
        new FindNodeResponse(
        [
            new Contact(Sender, new IPEndPoint(IPAddress.Loopback, 8468)),
            new Contact(Key, new IPEndPoint(IPAddress.IPv6Loopback, 65535)),
            new Contact(NodeId.Max, new IPEndPoint(IPAddress.Parse("fe80::1%2"), 1)),
        ]),
        FindValueResponse.Hit(DhtValue.FromBoolean(false)),
        FindValueResponse.Hit(DhtValue.FromString("Grüße"), PublishedAt),
        FindValueResponse.Miss([new Contact(Sender, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 18001))]),
        new StunResponse(new IPEndPoint(IPAddress.Parse("192.168.1.20"), 40000)),
        new StunResponse(new IPEndPoint(IPAddress.IPv6Loopback, 8468)),
    ];
}

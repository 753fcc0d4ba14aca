using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Wire;

/// <summary>
/// A real node's decoder (no <see cref="ContactPool"/>) reuses the contacts and PING answers it decoded recently
/// (<see cref="RecentlyDecoded"/>): an equal IPv4 contact is the same instance, anything that differs in id, address or
/// port is decoded as written, and IPv6 contacts are decoded as always.
/// </summary>
[Collection(RecentlyDecodedCollection.Name)]
public sealed class RecentlyDecodedTests
{
    // Ids of their own: the tables are shared by the process, and other tests decode contacts too.
    private static readonly NodeId First = NodeId.Parse("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
    private static readonly NodeId Second = NodeId.Parse("b1b2c3d4e5f60718293a4b5c6d7e8f9012345678");

    [Fact]
    public void AnIPv4Contact_DecodedAgain_IsTheSameInstance_EqualToWhatWasWritten()
    {
        var listed = new Contact[]
        {
            new(First, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 4_001)),
            new(Second, new IPEndPoint(IPAddress.Parse("192.168.0.250"), 65_535)),
        };
        var datagram = WireAssert.Response(MessageId.NewLiaa(new Random(1)), new FindNodeResponse(listed));

        var first = Decode(RpcMethod.FindNode, datagram);
        var second = Decode(RpcMethod.FindNode, datagram);

        Assert.Equal(listed, first);
        for (var i = 0; i < listed.Length; i++)
        {
            Assert.Same(first[i], second[i]);
        }
    }

    [Theory]
    [InlineData("10.1.2.4", 4_001)]
    [InlineData("10.1.2.3", 4_002)]
    [InlineData("3.2.1.10", 4_001)]
    public void AnotherAddressOrPort_ForARecentId_IsDecodedAsWritten(string address, int port)
    {
        var recent = Assert.Single(Decode(RpcMethod.FindValue, WireAssert.Response(MessageId.NewLiaa(new Random(2)),
            FindValueResponse.Miss([new Contact(First, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 4_001))]))));
        var moved = new Contact(First, new IPEndPoint(IPAddress.Parse(address), port));

        var decoded = Assert.Single(Decode(RpcMethod.FindValue, WireAssert.Response(MessageId.NewLiaa(new Random(3)), FindValueResponse.Miss([moved]))));

        Assert.Equal(moved, decoded);
        Assert.NotSame(recent, decoded);
        Assert.True(RecentlyDecoded.Holds(decoded));
    }

    [Fact]
    public void AnotherIdAtARecentEndPoint_IsDecodedAsWritten()
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 9_999);
        var recent = Assert.Single(Decode(RpcMethod.FindNode, WireAssert.Response(MessageId.NewLiaa(new Random(4)), new FindNodeResponse([new Contact(First, endPoint)]))));

        var decoded = Assert.Single(Decode(RpcMethod.FindNode, WireAssert.Response(MessageId.NewLiaa(new Random(5)), new FindNodeResponse([new Contact(Second, endPoint)]))));

        Assert.Equal(Second, decoded.Id);
        Assert.Equal(endPoint, decoded.EndPoint);
        Assert.NotSame(recent, decoded);
    }

    [Fact]
    public void AnIPv6Contact_IsDecodedAsAlways()
    {
        var contact = new Contact(First, new IPEndPoint(IPAddress.Parse("fe80::1"), 4_001));
        var datagram = WireAssert.Response(MessageId.NewLiaa(new Random(6)), new FindNodeResponse([contact]));

        var decoded = Assert.Single(Decode(RpcMethod.FindNode, datagram));

        Assert.Equal(contact, decoded);
        Assert.False(RecentlyDecoded.Holds(decoded));
    }

    [Fact]
    public void APingAnswer_DecodedAgain_IsTheSameInstance_UnlessTheResponderDiffers()
    {
        var first = DecodePing(First);
        var again = DecodePing(First);
        var other = DecodePing(Second);

        Assert.Equal(First, first.Responder);
        Assert.Same(first, again);
        Assert.Equal(Second, other.Responder);
    }

    [Fact]
    public void APingRequest_DecodedAgain_IsTheSameInstance_UnlessTheSenderDiffers()
    {
        var first = DecodePingRequest(First);
        var again = DecodePingRequest(First);
        var other = DecodePingRequest(Second);

        Assert.Equal(First, first.Sender);
        Assert.Same(first, again);
        Assert.Equal(Second, other.Sender);
        Assert.Same(other, DecodePingRequest(Second));
    }

    [Fact]
    public void AContactListFollowedByAnyByte_IsDropped_WithNothingBuilt()
    {
        // Read in one pass, the list is built only once it and the body are known sound: fresh contacts, nothing reused.
        var random = new Random(8);
        byte[] Appended() =>
        [
            .. WireAssert.Response(MessageId.NewLiaa(random), new FindNodeResponse([.. Enumerable.Range(1, 20).Select(i =>
                new Contact(NodeId.Random(random), new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 4_000 + i)))])),
            0xc0,
        ];
        var warm = Appended();
        var datagram = Appended();
        Assert.Equal(DropReason.TrailingBytes, WireAssert.ResponseDropReason(RpcMethod.FindNode, warm));
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var decoded = WireCodec.TryDecodeResponse(RpcMethod.FindNode, envelope.GetBody(datagram), envelope, out _, out var reason);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(decoded);
        Assert.Equal(DropReason.TrailingBytes, reason);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ARequestsSender_AtTheSameEndPoint_IsTheSameContact_UnlessItMoved()
    {
        var first = RecentlyDecoded.Contact(Second, new IPEndPoint(IPAddress.Parse("10.7.7.7"), 7_000));
        var again = RecentlyDecoded.Contact(Second, new IPEndPoint(IPAddress.Parse("10.7.7.7"), 7_000));
        var moved = RecentlyDecoded.Contact(Second, new IPEndPoint(IPAddress.Parse("10.7.7.7"), 7_001));

        Assert.Same(first, again);
        Assert.Equal(new Contact(Second, new IPEndPoint(IPAddress.Parse("10.7.7.7"), 7_001)), moved);
        Assert.NotSame(first, moved);
    }

    [Fact]
    public void TwoContactsSharingASet_AreBothKept()
    {
        var random = new Random(9);
        var a = NodeId.Random(random);
        NodeId b;
        do
        {
            b = NodeId.Random(random);
        }
        while (RecentlyDecoded.SetOf(b) != RecentlyDecoded.SetOf(a));

        var endPoint = new IPEndPoint(IPAddress.Parse("10.3.3.3"), 3_000);
        var firstA = RecentlyDecoded.Contact(a, endPoint);
        var firstB = RecentlyDecoded.Contact(b, endPoint);

        Assert.Same(firstA, RecentlyDecoded.Contact(a, endPoint));
        Assert.Same(firstB, RecentlyDecoded.Contact(b, endPoint));
    }

    /// <summary>
    /// The set an id takes depends on every byte of it (<see cref="NodeId.CacheHash"/>): a lookup's answers name ids that
    /// share long prefixes, and a hash of the first bytes alone would put them all in one set. For each of the 20 byte
    /// positions, the 256 ids differing only there spread over at least half the 256 sets (a hash of the first 8 bytes
    /// gives 1 for 12 positions; a random one about 160).
    /// </summary>
    [Fact]
    public void IdsDifferingInAnyOneByte_SpreadOverTheSets()
    {
        var bytes = Convert.FromHexString("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
        for (var position = 0; position < NodeId.ByteLength; position++)
        {
            var sets = new HashSet<int>();
            for (var value = 0; value < 256; value++)
            {
                var id = (byte[])bytes.Clone();
                id[position] = (byte)value;
                sets.Add(RecentlyDecoded.SetOf(NodeId.FromBytes(id)));
            }

            Assert.True(sets.Count >= 128, $"byte {position}: {sets.Count} sets");
        }
    }

    private static PingRequest DecodePingRequest(NodeId sender)
    {
        var datagram = WireAssert.Request(MessageId.NewLiaa(new Random(7)), new PingRequest(sender));
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason), reason.ToString());
        Assert.True(WireCodec.TryDecodeRequest(envelope.GetBody(datagram), envelope, out var request, out reason), reason.ToString());
        return Assert.IsType<PingRequest>(request);
    }

    private static PingResponse DecodePing(NodeId responder)
    {
        var datagram = WireAssert.Response(MessageId.NewLiaa(new Random(7)), new PingResponse(responder));
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason), reason.ToString());
        Assert.True(WireCodec.TryDecodeResponse(RpcMethod.Ping, envelope.GetBody(datagram), envelope, out var response, out reason), reason.ToString());
        return Assert.IsType<PingResponse>(response);
    }

    private static Contact[] Decode(RpcMethod method, byte[] datagram)
    {
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason), reason.ToString());
        Assert.True(WireCodec.TryDecodeResponse(method, envelope.GetBody(datagram), envelope, out var response, out reason), reason.ToString());
        return response switch
        {
            FindNodeResponse nodes => [.. nodes.Contacts],
            FindValueResponse { Value: null } miss => [.. miss.Contacts],
            _ => throw new InvalidOperationException($"Unexpected {response}"),
        };
    }
}

using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// A contact's <c>[id, ip, port]</c> is written once and copied after (<see cref="Contact.WireForm"/>): the bytes of an
/// answer are the same the first time and every time after, and the kept bytes take no part in a contact's equality.
/// </summary>
public sealed class ContactWireFormTests
{
    private static readonly MessageId Id = MessageId.NewLiaa(new Random(1));

    [Fact]
    public void AnAnswer_WrittenAgain_HasTheSameBytes_AsOneOfFreshContacts()
    {
        var contacts = Listed();
        var first = WireAssert.Response(Id, new FindNodeResponse(contacts));
        Assert.All(contacts, c => Assert.NotNull(c.WireForm));

        var again = WireAssert.Response(Id, new FindNodeResponse(contacts));
        var fresh = WireAssert.Response(Id, new FindNodeResponse(Listed()));
        var miss = WireAssert.Response(Id, FindValueResponse.Miss(contacts));

        Assert.Equal(fresh, first);
        Assert.Equal(fresh, again);
        Assert.Equal(fresh[WireCodec.PrefixSize..], miss[WireCodec.PrefixSize..]);
        Assert.True(WireCodec.TryReadEnvelope(again, out var envelope, out _));
        Assert.True(WireCodec.TryDecodeResponse(RpcMethod.FindNode, envelope.GetBody(again), envelope, out var decoded, out _));
        Assert.Equal(contacts, Assert.IsType<FindNodeResponse>(decoded).Contacts);
    }

    [Fact]
    public void TheKeptBytes_AreNoPartOfEquality()
    {
        var written = Listed()[0];
        var other = Listed()[0];
        _ = WireAssert.Response(Id, new FindNodeResponse([written]));

        Assert.NotNull(written.WireForm);
        Assert.Null(other.WireForm);
        Assert.Equal(other, written);
        Assert.Equal(other.GetHashCode(), written.GetHashCode());
        Assert.NotEqual(written, written with { EndPoint = new IPEndPoint(written.EndPoint.Address, written.EndPoint.Port + 1) });
        Assert.NotEqual(written, written with { Id = NodeId.Parse("0000000000000000000000000000000000000001") });
    }

    [Fact]
    public void ACopyWithAnotherEndPoint_IsWrittenWithIt()
    {
        var written = Listed()[1];
        _ = WireAssert.Response(Id, new FindNodeResponse([written]));

        var moved = written with { EndPoint = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 7) };

        Assert.Null(moved.WireForm);
        Assert.Equal(WireAssert.Response(Id, new FindNodeResponse([new Contact(written.Id, moved.EndPoint)])), WireAssert.Response(Id, new FindNodeResponse([moved])));
    }

    private static Contact[] Listed() =>
    [
        new(NodeId.Parse("1111111111111111111111111111111111111111"), new IPEndPoint(IPAddress.Parse("127.1.0.1"), 1)),
        new(NodeId.Parse("2222222222222222222222222222222222222222"), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 65_535)),
        new(NodeId.Parse("3333333333333333333333333333333333333333"), new IPEndPoint(IPAddress.Parse("fe80::1%2"), 300)),
        new(NodeId.Parse("4444444444444444444444444444444444444444"), new IPEndPoint(IPAddress.Parse("255.255.255.254"), 128)),
    ];
}

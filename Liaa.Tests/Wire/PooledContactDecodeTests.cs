using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// Decoding the contacts of an answer through a <see cref="ContactPool"/> (a simulated node's RPC layer): a contact the
/// pool holds with the same id, port and address text is the pool's instance, anything else is decoded as without a
/// pool, and what is accepted or dropped does not change.
/// </summary>
public sealed class PooledContactDecodeTests
{
    private static readonly Contact[] Listed =
    [
        new(NodeId.Parse("1111111111111111111111111111111111111111"), new IPEndPoint(IPAddress.Parse("127.1.0.1"), 10_001)),
        new(NodeId.Parse("2222222222222222222222222222222222222222"), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 10_002)),
        new(NodeId.Parse("3333333333333333333333333333333333333333"), new IPEndPoint(IPAddress.IPv6Loopback, 10_003)),
    ];

    // A Python find_node answer listing 'localhost' (skipped by every decode, pool or not) between two usable contacts.
    private const string WithHostname =
        "015f0bd3c1a6e48f0b2d6b7a1c9e3f4d2a1b0c9d8e93"
        + "93c4141111111111111111111111111111111111111111a93132372e302e302e31cd4651"
        + "93c4142222222222222222222222222222222222222222a96c6f63616c686f7374cd4652"
        + "93c4143333333333333333333333333333333333333333a33a3a31cd4653";

    [Fact]
    public void FindNodeAnswer_DecodedAgain_GivesThePoolsInstances_EqualToAPoollessDecode()
    {
        var pool = new ContactPool();
        var datagram = WireAssert.Response(MessageId.NewLiaa(new Random(1)), new FindNodeResponse(Listed));

        var first = Decode(RpcMethod.FindNode, datagram, pool);
        var second = Decode(RpcMethod.FindNode, datagram, pool);

        Assert.Equal(Listed, first);
        Assert.Equal(Decode(RpcMethod.FindNode, datagram, pool: null), second);
        for (var i = 0; i < Listed.Length; i++)
        {
            Assert.Same(first[i], second[i]);
        }

        Assert.Equal(Listed.Length, pool.Count);
    }

    [Fact]
    public void FindValueMiss_TakesTheContactsFromThePool()
    {
        var pool = new ContactPool();
        var interned = Listed.Select(pool.Intern).ToArray();
        var datagram = WireAssert.Response(MessageId.NewLiaa(new Random(2)), FindValueResponse.Miss(Listed));

        // Interned without their wire form: decoded once, then found by it.
        var first = Decode(RpcMethod.FindValue, datagram, pool);
        var second = Decode(RpcMethod.FindValue, datagram, pool);

        for (var i = 0; i < Listed.Length; i++)
        {
            Assert.Same(interned[i], first[i]);
            Assert.Same(interned[i], second[i]);
        }
    }

    [Fact]
    public void SameIdAndPort_AtAnotherAddress_IsDecodedAsWritten_NotTakenFromThePool()
    {
        var pool = new ContactPool();
        var original = Listed[0];
        var moved = new Contact(original.Id, new IPEndPoint(IPAddress.Parse("127.1.0.9"), original.EndPoint.Port));
        Decode(RpcMethod.FindNode, WireAssert.Response(MessageId.NewLiaa(new Random(3)), new FindNodeResponse([original])), pool);

        var decoded = Decode(RpcMethod.FindNode, WireAssert.Response(MessageId.NewLiaa(new Random(4)), new FindNodeResponse([moved])), pool);

        Assert.Equal(moved, Assert.Single(decoded));
        Assert.NotSame(original, decoded[0]);
    }

    [Theory]
    [InlineData(RpcMethod.FindNode)]
    [InlineData(RpcMethod.FindValue)]
    public void UnusableAddress_IsSkipped_WithThePool_AsWithout(RpcMethod method)
    {
        var pool = new ContactPool();
        var datagram = Convert.FromHexString(WithHostname);

        var pooled = Decode(method, datagram, pool);
        var again = Decode(method, datagram, pool);

        Assert.Equal(Decode(method, datagram, pool: null), pooled);
        Assert.Equal(pooled, again);
        Assert.Equal(2, pooled.Length);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void AnswerWithAWronglyTypedPort_IsDropped_WithThePool_AsWithout()
    {
        // The first contact's port as a string ("1"): the whole answer is dropped for it, pool or not.
        var datagram = Convert.FromHexString(WithHostname.Replace("cd4651", "a131", StringComparison.Ordinal));
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out _));

        Assert.False(WireCodec.TryDecodeResponse(RpcMethod.FindNode, envelope.GetBody(datagram), envelope, out _, out var without));
        Assert.False(WireCodec.TryDecodePooledResponse(RpcMethod.FindNode, envelope.GetBody(datagram), envelope, new ContactPool(), out _, out var with));
        Assert.Equal(without, with);
        Assert.Equal(DropReason.WrongArgumentType, with);
    }

    private static Contact[] Decode(RpcMethod method, byte[] datagram, ContactPool? pool)
    {
        Assert.True(WireCodec.TryReadEnvelope(datagram, out var envelope, out var reason), reason.ToString());
        Assert.True(WireCodec.TryDecodePooledResponse(method, envelope.GetBody(datagram), envelope, pool, out var response, out reason), reason.ToString());
        return response switch
        {
            FindNodeResponse nodes => [.. nodes.Contacts],
            FindValueResponse { Value: null } miss => [.. miss.Contacts],
            _ => throw new InvalidOperationException($"Unexpected {response}"),
        };
    }
}

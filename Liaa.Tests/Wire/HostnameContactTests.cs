using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Wire;

/// <summary>
/// Issue 14, item 7: a Python node bootstrapped with <c>localhost:PORT</c> keeps that address as written and
/// hands it out in its <c>find_node</c> and <c>find_value</c> answers. The contact is skipped; the answer and its
/// other contacts are kept, so the call completes instead of waiting for its timeout.
/// </summary>
public sealed class HostnameContactTests
{
    // A Python find_node answer as rpcudp writes it: 0x01, the request's 20-byte id, then
    // umsgpack.packb([[id, '127.0.0.1', 18001], [id, 'localhost', 18002], [id, '::1', 18003]]).
    private const string MessageIdHex = "5f0bd3c1a6e48f0b2d6b7a1c9e3f4d2a1b0c9d8e";
    private const string FirstId = "1111111111111111111111111111111111111111";
    private const string HostnameId = "2222222222222222222222222222222222222222";
    private const string ThirdId = "3333333333333333333333333333333333333333";
    private const string Contacts =
        "93"
        + "93" + "c414" + FirstId + "a9" + "3132372e302e302e31" + "cd4651"
        + "93" + "c414" + HostnameId + "a9" + "6c6f63616c686f7374" + "cd4652"
        + "93" + "c414" + ThirdId + "a3" + "3a3a31" + "cd4653";

    [Fact]
    public void FindNodeAnswer_KeepsEveryUsableContact_AndSkipsTheHostnameOne()
    {
        var datagram = Convert.FromHexString("01" + MessageIdHex + Contacts);

        var (envelope, response) = WireAssert.DecodeResponse(RpcMethod.FindNode, datagram);

        Assert.Equal(MessageId.Read(Convert.FromHexString(MessageIdHex)), envelope.Id);
        Assert.Equal(
            [
                new Contact(NodeId.Parse(FirstId), new IPEndPoint(IPAddress.Loopback, 18001)),
                new Contact(NodeId.Parse(ThirdId), new IPEndPoint(IPAddress.IPv6Loopback, 18003)),
            ],
            ((FindNodeResponse)response).Contacts);
    }

    [Fact]
    public void FindValueMiss_KeepsEveryUsableContact_AndSkipsTheHostnameOne()
    {
        var datagram = Convert.FromHexString("01" + MessageIdHex + Contacts);

        var (_, response) = WireAssert.DecodeResponse(RpcMethod.FindValue, datagram);

        var miss = (FindValueResponse)response;
        Assert.Null(miss.Value);
        Assert.Equal([NodeId.Parse(FirstId), NodeId.Parse(ThirdId)], miss.Contacts.Select(c => c.Id));
    }
}

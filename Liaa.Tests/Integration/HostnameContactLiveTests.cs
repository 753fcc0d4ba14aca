using System.Net;
using System.Net.Sockets;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Tests.Integration;

/// <summary>
/// Issue 14, item 7, over real UDP on 127.0.0.1: a peer answering as a Python node bootstrapped with
/// <c>localhost:PORT</c> does (its contact lists name one node <c>'localhost'</c>). The node keeps every
/// answer, so a get of a missing key finishes without waiting for a timeout, and the live peer is never
/// counted as failed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HostnameContactLiveTests
{
    private static readonly NodeId PythonId = NodeId.FromKey("a python node bootstrapped with localhost");
    private static readonly NodeId NamedId = NodeId.FromKey("a node it knows as localhost");

    [Fact]
    public async Task MissingKeyGet_Completes_WithoutTimeouts_WhenAPythonPeerNamesAContactByHostname()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        using var python = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var pythonEndPoint = (IPEndPoint)python.Client.LocalEndPoint!;
        var answering = AnswerAsPythonAsync(python, pythonEndPoint.Port, cts.Token);

        var options = new LiaaNodeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        await using (var node = await LiaaNode.StartAsync(options, cancellationToken: cts.Token))
        {
            var join = await node.BootstrapAsync([pythonEndPoint], cts.Token);
            var get = await node.GetAsync("a key nobody holds", cts.Token);

            var counters = node.RpcCounters.Snapshot();
            Assert.True(join.IsJoined);
            Assert.Null(get.Value);
            Assert.True(get.NodesContacted >= 1);
            Assert.Equal(0, counters.Timeouts);
            Assert.Equal(0, counters.Drops[DropReason.InvalidAddress]);
            var pythonContact = Assert.Single(node.GetRoutingTable().SelectMany(b => b.Contacts), c => c.Contact.Id == PythonId);
            Assert.Equal(0, pythonContact.FailureCount);
            Assert.DoesNotContain(node.GetContacts(), c => c.Id == NamedId);
        }

        await cts.CancelAsync();
        await answering;
    }

    /// <summary>Answers as rpcudp does: ping with the id, find_node and find_value with a contact list, store with true.</summary>
    private static async Task AnswerAsPythonAsync(UdpClient socket, int ownPort, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(cancellationToken);
                var datagram = received.Buffer;
                if (!WireCodec.TryReadEnvelope(datagram, out var envelope, out _) || envelope.Kind != DatagramKind.Request
                    || !WireCodec.TryDecodeRequest(envelope.GetBody(datagram), envelope, out var request, out _))
                {
                    continue;
                }

                var body = request switch
                {
                    PingRequest => Id(PythonId),
                    FindNodeRequest or FindValueRequest => Convert.ToHexString([0x92])
                        + Contact(NamedId, "localhost", 18002)
                        + Contact(PythonId, "127.0.0.1", ownPort),
                    _ => "c3",
                };
                var reply = new byte[1 + MessageId.Length];
                reply[0] = 0x01;
                envelope.Id.WriteTo(reply.AsSpan(1));
                byte[] answer = [.. reply, .. Convert.FromHexString(body)];
                await socket.SendAsync(answer.AsMemory(), received.RemoteEndPoint, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static string Id(NodeId id) => "c414" + id;

    private static string Contact(NodeId id, string host, int port) =>
        "93" + Id(id) + (0xa0 + host.Length).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)
        + Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(host))
        + "cd" + port.ToString("x4", System.Globalization.CultureInfo.InvariantCulture);
}

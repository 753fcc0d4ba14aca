using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Wire;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Storage;

/// <summary>A <see cref="LiaaNode"/> with a data directory, restarted in process on an in-memory network and a manual clock.</summary>
public sealed class NodePersistenceTests : IDisposable
{
    private static readonly IPEndPoint First = new(IPAddress.Parse("10.9.0.1"), 8468);
    private static readonly IPEndPoint Second = new(IPAddress.Parse("10.9.0.2"), 8468);
    private static readonly IPEndPoint Third = new(IPAddress.Parse("10.9.0.3"), 8468);

    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryNetwork _network;
    private readonly Dictionary<IPEndPoint, InMemoryDatagramTransport> _transports = [];

    public NodePersistenceTests()
    {
        _network = new InMemoryNetwork(_time, new Random(7));
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Restart_KeepsTheIdAndEveryValue_WithOriginAndPublicationTime()
    {
        NodeId id;
        StoredValue[] before;
        await using (var peer = await StartAsync(Second, dataDirectory: null))
        {
            await using (var node = await StartAsync(First, _directory.Path))
            {
                id = node.Id;
                await node.BootstrapAsync([Second], Token);
                Assert.True((await node.PutAsync("own", DhtValue.FromString("mine"), Token)).IsAccepted);
                Assert.True((await node.PutAsync("number", DhtValue.FromInt64(42), Token)).IsAccepted);
                Assert.True((await peer.PutAsync("theirs", DhtValue.FromBytes([1, 2, 3]), Token)).IsAccepted);
                before = [.. node.GetStoredValues().OrderBy(v => v.Key)];
            }
        }

        await using var restarted = await StartAsync(First, _directory.Path);

        Assert.Equal(id, restarted.Id);
        Assert.Equal(3, before.Length);
        Assert.Contains(before, v => v.Origin == ValueOrigin.Replicated && v.Value.AsBytes().SequenceEqual(new byte[] { 1, 2, 3 }));
        Assert.Equal(
            before.Select(v => (v.Key, v.Value, v.Origin, v.PublishedAt, v.ExpiresAt)),
            restarted.GetStoredValues().OrderBy(v => v.Key).Select(v => (v.Key, v.Value, v.Origin, v.PublishedAt, v.ExpiresAt)));
        Assert.Equal("mine", (await restarted.GetAsync("own", Token)).Value?.AsString());
    }

    [Fact]
    public async Task Restart_PingsRememberedContacts_AndAdmitsOnlyThoseThatAnswer_WithTheIdTheyAnswerWith()
    {
        await using (var second = await StartAsync(Second, dataDirectory: null))
        await using (var third = await StartAsync(Third, dataDirectory: null))
        {
            await using var node = await StartAsync(First, _directory.Path);
            await node.BootstrapAsync([Second, Third], Token);
            Assert.Equal(2, node.GetContacts().Count);
        }

        // The second endpoint is now another node; nobody is at the third (its stopped node's transport is unbound too).
        await UnbindAsync(Third);
        var newcomer = NodeId.FromKey("a newcomer at the second endpoint");
        await using var replacement = await StartAsync(Second, dataDirectory: null, newcomer);
        await using var restarted = await StartAsync(First, _directory.Path);

        // The ping to the third endpoint times out when it is the only call left: the clock is moved then.
        var join = await SilentPeers.RunAsync(() => restarted.BootstrapAsync([], Token), _time, restarted.Options.Rpc.Timeout, () => restarted.PendingCallCount, _network);

        Assert.Equal(1, join.RememberedReached);
        Assert.True(join.IsJoined);
        Assert.Equal([new Contact(newcomer, Second)], restarted.GetContacts());
    }

    private async Task<LiaaNode> StartAsync(IPEndPoint endPoint, string? dataDirectory, NodeId? id = null)
    {
        // A stopped node leaves its transport bound (it belongs to the caller): unbind it before reusing the endpoint.
        await UnbindAsync(endPoint);

        _transports[endPoint] = _network.Bind(endPoint);
        var options = new LiaaNodeOptions
        {
            EndPoint = endPoint,
            NodeId = id,
            DataDirectory = dataDirectory,
            Transport = _transports[endPoint],
            TimeProvider = _time,
        };
        return await LiaaNode.StartAsync(options, cancellationToken: Token);
    }

    private async Task UnbindAsync(IPEndPoint endPoint)
    {
        if (_transports.Remove(endPoint, out var previous))
        {
            await previous.DisposeAsync();
        }
    }
}

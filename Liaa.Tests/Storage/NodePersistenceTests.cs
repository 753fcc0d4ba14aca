using System.Net;
using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;
using Liaa.Node.Wire;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Storage;

/// <summary>A <see cref="LiaaNode"/> with a data directory, restarted in process on an in-memory network.</summary>
public sealed class NodePersistenceTests : IDisposable
{
    private static readonly IPEndPoint First = new(IPAddress.Parse("10.9.0.1"), 8468);
    private static readonly IPEndPoint Second = new(IPAddress.Parse("10.9.0.2"), 8468);
    private static readonly IPEndPoint Third = new(IPAddress.Parse("10.9.0.3"), 8468);

    private readonly TempDirectory _directory = new();
    private readonly InMemoryNetwork _network = new(TimeProvider.System, new Random(7));
    private readonly Dictionary<IPEndPoint, InMemoryDatagramTransport> _transports = [];

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

        // The second endpoint is now another node; nobody is at the third.
        var newcomer = NodeId.FromKey("a newcomer at the second endpoint");
        await using var replacement = await StartAsync(Second, dataDirectory: null, newcomer);
        await using var restarted = await StartAsync(First, _directory.Path);

        var join = await restarted.BootstrapAsync([], Token);

        Assert.Equal(1, join.RememberedReached);
        Assert.True(join.IsJoined);
        Assert.Equal([new Contact(newcomer, Second)], restarted.GetContacts());
    }

    private async Task<LiaaNode> StartAsync(IPEndPoint endPoint, string? dataDirectory, NodeId? id = null)
    {
        // A stopped node leaves its transport bound (it belongs to the caller): unbind it before reusing the endpoint.
        if (_transports.Remove(endPoint, out var previous))
        {
            await previous.DisposeAsync();
        }

        _transports[endPoint] = _network.Bind(endPoint);
        var options = new LiaaNodeOptions
        {
            EndPoint = endPoint,
            NodeId = id,
            DataDirectory = dataDirectory,
            Transport = _transports[endPoint],
        };
        // Long enough for a loaded machine (at 300 ms the first join missed a seed under a load average of 28);
        // the restart's ping to the empty endpoint waits for it once.
        options.Rpc.Timeout = TimeSpan.FromSeconds(2);
        return await LiaaNode.StartAsync(options, cancellationToken: Token);
    }
}

using Liaa.Node;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;
using Liaa.Node.Storage;
using Liaa.Node.Wire;

namespace Liaa.Tests.Storage;

/// <summary>
/// The largest value is what every peer can carry: a Python node's STORE is the encoded value plus 52
/// bytes within 8,192, so 8,140 encoded bytes. Larger values are refused from every source, saying so
/// in the user's terms.
/// </summary>
public sealed class ValueSizeLimitTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void MaxValueBytes_IsWhatPythonPeersCanCarry_AndALargerSettingIsRefused()
    {
        Assert.Equal(8140, new StorageOptions().MaxValueBytes);
        Assert.Equal(
            ["Liaa:Storage:MaxValueBytes must be at most 8140 (is 8192): Python peers cannot carry a larger value."],
            new StorageOptions { MaxValueBytes = 8192 }.Validate());
        Assert.Equal(8137, StorageOptions.LargestPayload(8140));
    }

    [Theory]
    [InlineData(ValueOrigin.Own)]
    [InlineData(ValueOrigin.Replicated)]
    [InlineData(ValueOrigin.Cached)]
    public void Store_RefusesAValueOver8140EncodedBytes_FromEverySource_InTheUsersTerms(ValueOrigin origin)
    {
        var store = new InMemoryValueStore(new ManualTimeProvider(T0), new StorageOptions());

        var largest = store.Put(NodeId.FromKey("fits"), DhtValue.FromString(new string('a', 8137)), origin, T0);
        var text = store.Put(NodeId.FromKey("text"), DhtValue.FromString(new string('a', 8185)), origin, T0);
        var bytes = store.Put(NodeId.FromKey("bytes"), DhtValue.FromBytes(new byte[8138]), origin, T0);

        Assert.Equal(StoreStatus.Stored, largest.Status);
        Assert.Equal(
            new StoreResult(StoreStatus.TooLarge, "Values are at most 8,140 bytes encoded (what every peer, Python ones included, can carry); this one is 8,188, a text of 8,185 UTF-8 bytes."),
            text);
        Assert.Equal(
            new StoreResult(StoreStatus.TooLarge, "Values are at most 8,140 bytes encoded (what every peer, Python ones included, can carry); this one is 8,141, 8,138 raw bytes."),
            bytes);
    }

    [Fact]
    public async Task Put_ThroughTheEmbeddingApi_IsRefusedWithTheReason()
    {
        var time = new ManualTimeProvider(T0);
        var network = new InMemoryNetwork(time, new Random(1));
        var endPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 4000);
        await using var node = await LiaaNode.StartAsync(
            new LiaaNodeOptions { EndPoint = endPoint, TimeProvider = time, Random = new Random(2), Transport = network.Bind(endPoint) },
            cancellationToken: Token);

        var result = await node.PutAsync("large", DhtValue.FromString(new string('a', 8185)), Token);

        Assert.False(result.IsAccepted);
        Assert.Equal(StoreStatus.TooLarge, result.Refusal);
        Assert.Contains("Values are at most 8,140 bytes encoded", result.Reason, StringComparison.Ordinal);
        Assert.Empty(node.GetStoredValues());
    }
}

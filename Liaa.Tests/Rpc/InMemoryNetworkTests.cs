using System.Net.Sockets;
using System.Net;
using Liaa.Node.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

public sealed class InMemoryNetworkTests
{
    private static readonly IPEndPoint A = new(IPAddress.Parse("10.0.0.1"), 8468);
    private static readonly IPEndPoint B = new(IPAddress.Parse("10.0.0.2"), 8468);
    private static readonly IPEndPoint C = new(IPAddress.Parse("10.0.0.3"), 8468);

    [Fact]
    public async Task Send_DeliversAtOnceWithSourceAndBytes_WhenThereIsNoDelay()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);

        await a.SendAsync(new byte[] { 1, 2, 3 }, B, TestContext.Current.CancellationToken);

        Assert.Equal(1, b.QueuedCount);
        var buffer = new byte[100];
        var received = await b.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal(3, received.Length);
        Assert.Equal(A, received.Remote);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..3]);
        Assert.Equal(new InMemoryNetworkCounters(1, 1, 0, 0, 0, 0), network.Counters);
    }

    [Fact]
    public async Task AStoppedReader_EndsItsWaitWithFalse_WhileReceiveStillThrowsOnCancellation()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);
        IQueuedDatagramSource source = a;

        // Cancelled while waiting, and already cancelled: the reader's wait ends with false, no exception (an endpoint's
        // receive loop stops this way at every node's stop).
        using var stop = new CancellationTokenSource();
        var waiting = source.WaitToReadAsync(stop.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await stop.CancelAsync();
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.False(await source.WaitToReadAsync(stop.Token));

        // ReceiveAsync keeps the usual contract: a cancelled receive throws.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await a.ReceiveAsync(new byte[16], stop.Token));
    }

    [Fact]
    public async Task Send_DeliversOnlyWhenTheClockReachesTheDelay_WhenDelayIsFixed()
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(1), new InMemoryNetworkOptions { MinDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(10) });
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);

        await a.SendAsync(new byte[] { 7 }, B, TestContext.Current.CancellationToken);
        Assert.Equal(1, network.InFlightCount);

        time.Advance(TimeSpan.FromMilliseconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(0, b.QueuedCount);

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, b.QueuedCount);
        Assert.Equal(0, network.InFlightCount);
    }

    [Fact]
    public async Task Send_DeliversInTheSameDrawnOrder_WhenSeedsAreEqual()
    {
        var first = await DeliveryOrderAsync(seed: 7);
        var second = await DeliveryOrderAsync(seed: 7);
        var other = await DeliveryOrderAsync(seed: 8);

        Assert.Equal(50, first.Count);
        Assert.Equal(first, second);
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (byte)i), first);
        Assert.NotEqual(first, other);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (byte)i), first.Order());
    }

    [Fact]
    public async Task Send_LosesExactlyTheSeededDraws_WhenLossRateIsSet()
    {
        const double lossRate = 0.3;
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(42), new InMemoryNetworkOptions { LossRate = lossRate, ReceiveQueueCapacity = 2000 });
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);
        var replica = new Random(42);
        var expectedLost = Enumerable.Range(0, 1000).Count(_ => replica.NextDouble() < lossRate);

        for (var i = 0; i < 1000; i++)
        {
            await a.SendAsync(new byte[] { 1 }, B, TestContext.Current.CancellationToken);
        }

        Assert.Equal(expectedLost, network.Counters.Lost);
        Assert.Equal(1000 - expectedLost, network.Counters.Delivered);
        Assert.Equal(1000 - expectedLost, b.QueuedCount);
        Assert.InRange(expectedLost, 250, 350);
    }

    [Fact]
    public async Task Partition_BlocksTrafficBetweenGroupsOnly_UntilHealed()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);
        await using var c = network.Bind(C);
        var ct = TestContext.Current.CancellationToken;

        network.Partition([A], [B]);
        await a.SendAsync(new byte[] { 1 }, B, ct);
        await b.SendAsync(new byte[] { 2 }, A, ct);
        await a.SendAsync(new byte[] { 3 }, C, ct);
        await b.SendAsync(new byte[] { 4 }, C, ct);

        Assert.Equal(0, a.QueuedCount);
        Assert.Equal(0, b.QueuedCount);
        Assert.Equal(2, c.QueuedCount);
        Assert.Equal(2, network.Counters.Blocked);

        network.Heal();
        await a.SendAsync(new byte[] { 5 }, B, ct);
        Assert.Equal(1, b.QueuedCount);
    }

    [Fact]
    public async Task Disconnect_BlocksBothDirections_UntilReconnected()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);
        var ct = TestContext.Current.CancellationToken;

        network.Disconnect(A);
        await a.SendAsync(new byte[] { 1 }, B, ct);
        await b.SendAsync(new byte[] { 2 }, A, ct);
        Assert.Equal(0, a.QueuedCount + b.QueuedCount);
        Assert.False(network.CanReach(B, A));

        network.Reconnect(A);
        await b.SendAsync(new byte[] { 3 }, A, ct);
        Assert.Equal(1, a.QueuedCount);
        Assert.Equal(2, network.Counters.Blocked);
    }

    [Fact]
    public async Task Send_CountsUnreachable_WhenNobodyIsBoundThere()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);
        var b = network.Bind(B);
        await b.DisposeAsync();

        await a.SendAsync(new byte[] { 1 }, B, TestContext.Current.CancellationToken);
        await a.SendAsync(new byte[] { 1 }, C, TestContext.Current.CancellationToken);

        Assert.Equal(2, network.Counters.Unreachable);
        Assert.Equal(1, network.BoundCount);
        await using var again = network.Bind(B);
        Assert.Equal(2, network.BoundCount);
    }

    [Fact]
    public async Task Bind_Throws_WhenTheEndPointIsTaken()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);

        var error = Assert.Throws<SocketException>(() => network.Bind(new IPEndPoint(A.Address, A.Port)));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public async Task Bind_PicksDistinctFreePorts_WhenPortIsZero()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var first = network.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var second = network.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.NotEqual(0, first.LocalEndPoint.Port);
        Assert.NotEqual(first.LocalEndPoint, second.LocalEndPoint);
    }

    [Fact]
    public async Task Send_CountsOverflow_WhenTheReceiveQueueIsFull()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1), new InMemoryNetworkOptions { ReceiveQueueCapacity = 2 });
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);

        for (var i = 0; i < 3; i++)
        {
            await a.SendAsync(new byte[] { 1 }, B, TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, b.QueuedCount);
        Assert.Equal(1, network.Counters.Overflowed);
    }

    [Fact]
    public async Task Send_Throws_WhenTheDatagramIsLargerThanUdpAllows()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        await using var a = network.Bind(A);

        var error = await Assert.ThrowsAsync<SocketException>(
            async () => await a.SendAsync(new byte[InMemoryNetwork.MaxDatagramSize + 1], B, TestContext.Current.CancellationToken));

        Assert.Equal(SocketError.MessageSize, error.SocketErrorCode);
    }

    [Fact]
    public async Task ReceiveAsync_Throws_WhenTheTransportIsDisposedWhileWaiting()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1));
        var a = network.Bind(A);
        var receive = a.ReceiveAsync(new byte[10], TestContext.Current.CancellationToken).AsTask();

        await a.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => receive);
    }

    [Fact]
    public async Task Tap_SeesEverySentDatagram_EvenLostOnes()
    {
        var network = new InMemoryNetwork(new FakeTimeProvider(), new Random(1), new InMemoryNetworkOptions { LossRate = 1 });
        await using var a = network.Bind(A);
        var seen = new List<(IPEndPoint From, IPEndPoint To, byte[] Bytes)>();
        network.Tap = (from, to, datagram) => seen.Add((from, to, datagram.ToArray()));

        await a.SendAsync(new byte[] { 9, 8 }, B, TestContext.Current.CancellationToken);

        var only = Assert.Single(seen);
        Assert.Equal((A, B), (only.From, only.To));
        Assert.Equal(new byte[] { 9, 8 }, only.Bytes);
        Assert.Equal(1, network.Counters.Lost);
    }

    private static async Task<List<byte>> DeliveryOrderAsync(int seed)
    {
        var time = new FakeTimeProvider();
        var network = new InMemoryNetwork(time, new Random(seed), new InMemoryNetworkOptions { MinDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(100) });
        await using var a = network.Bind(A);
        await using var b = network.Bind(B);
        for (var i = 0; i < 50; i++)
        {
            await a.SendAsync(new[] { (byte)i }, B, TestContext.Current.CancellationToken);
        }

        time.Advance(TimeSpan.FromMilliseconds(100));
        var order = new List<byte>();
        var buffer = new byte[1];
        while (b.QueuedCount > 0)
        {
            await b.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            order.Add(buffer[0]);
        }

        return order;
    }
}

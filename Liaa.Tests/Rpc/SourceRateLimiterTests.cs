using System.Net;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

public sealed class SourceRateLimiterTests
{
    private static readonly IPEndPoint A = IPEndPoint.Parse("127.0.0.1:5000");
    private static readonly IPEndPoint B = IPEndPoint.Parse("127.0.0.1:5001");

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Admit_AllowsTheBurst_ThenRefillsAtTheRate()
    {
        var limiter = Limiter(requestRate: 10, requestBurst: 5);

        Assert.Equal(Enumerable.Repeat(DropReason.None, 5), Admit(limiter, A, RpcMethod.Ping, 5));
        Assert.Equal(DropReason.RateLimited, limiter.Admit(A, RpcMethod.Ping));

        _time.Advance(TimeSpan.FromMilliseconds(300));

        Assert.Equal([DropReason.None, DropReason.None, DropReason.None, DropReason.RateLimited], Admit(limiter, A, RpcMethod.Ping, 4));
    }

    [Fact]
    public void Admit_KeepsOneBudgetPerAddressAndPort()
    {
        var limiter = Limiter(requestRate: 1, requestBurst: 2);
        Admit(limiter, A, RpcMethod.Ping, 2);

        Assert.Equal(DropReason.RateLimited, limiter.Admit(A, RpcMethod.Ping));
        Assert.Equal(DropReason.None, limiter.Admit(B, RpcMethod.Ping));
        Assert.Equal(DropReason.None, limiter.Admit(IPEndPoint.Parse("127.0.0.2:5000"), RpcMethod.Ping));
    }

    [Fact]
    public void Admit_LimitsStoresSeparately_WhileOtherRequestsStillPass()
    {
        var limiter = Limiter(requestRate: 1000, requestBurst: 1000, storeRate: 1, storeBurst: 3);

        Assert.Equal(
            [DropReason.None, DropReason.None, DropReason.None, DropReason.StoreRateLimited, DropReason.StoreRateLimited],
            Admit(limiter, A, RpcMethod.Store, 5));
        Assert.Equal(DropReason.None, limiter.Admit(A, RpcMethod.FindValue));
        Assert.Equal(DropReason.None, limiter.Admit(B, RpcMethod.Store));
    }

    [Fact]
    public void Admit_SharesOneBucketAmongUntrackedSources_WhenTheTableIsFullOfActiveOnes()
    {
        var limiter = Limiter(requestRate: 1, requestBurst: 2, capacity: 2);
        Admit(limiter, A, RpcMethod.Ping, 1);
        Admit(limiter, B, RpcMethod.Ping, 1);

        // A flood spread over many ports gets the one overflow budget, not a burst per port.
        var spread = Enumerable.Range(6000, 10).Select(port => limiter.Admit(new IPEndPoint(IPAddress.Loopback, port), RpcMethod.Ping)).ToArray();

        Assert.Equal(2, spread.Count(r => r == DropReason.None));
        Assert.Equal(2, limiter.TrackedSources);
    }

    [Fact]
    public void Admit_ForgetsSourcesWhoseBucketsRefilled_WhenTheTableIsFull()
    {
        var limiter = Limiter(requestRate: 1, requestBurst: 2, capacity: 2);
        Admit(limiter, A, RpcMethod.Ping, 1);
        Admit(limiter, B, RpcMethod.Ping, 1);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(Enumerable.Repeat(DropReason.None, 2), Admit(limiter, IPEndPoint.Parse("127.0.0.1:7000"), RpcMethod.Ping, 2));
        Assert.Equal(1, limiter.TrackedSources);
    }

    [Fact]
    public void Admit_AdmitsEverything_WhenBothRatesAreZero()
    {
        var limiter = Limiter(requestRate: 0, requestBurst: 1, storeRate: 0, storeBurst: 1);

        Assert.False(limiter.IsEnabled);
        Assert.All(Admit(limiter, A, RpcMethod.Store, 100), r => Assert.Equal(DropReason.None, r));
    }

    private SourceRateLimiter Limiter(double requestRate, int requestBurst, double storeRate = 0, int storeBurst = 1, int capacity = 100) =>
        new(
            new RpcOptions
            {
                RequestRatePerSource = requestRate,
                RequestBurstPerSource = requestBurst,
                StoreRatePerSource = storeRate,
                StoreBurstPerSource = storeBurst,
                MaxTrackedSources = capacity,
            },
            _time);

    private static DropReason[] Admit(SourceRateLimiter limiter, IPEndPoint source, RpcMethod method, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => limiter.Admit(source, method))];
}

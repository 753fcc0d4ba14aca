using System.Net;
using Liaa.Node.Rpc;
using Liaa.Node.Simulation;

namespace Liaa.Tests.Simulation;

/// <summary>The simulator's latency model: log-normal RTT per pair, deterministic, applied per datagram on the manual clock.</summary>
public sealed class PairLatencyTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void RoundTrip_IsTheSameBothWaysAndOnEveryCall_AndDependsOnTheSeed()
    {
        var model = new PairLatency(seed: 7);
        var again = new PairLatency(seed: 7);
        var other = new PairLatency(seed: 8);
        var pairs = Enumerable.Range(0, 200).Select(i => (EndPoint(i), EndPoint(i + 1000))).ToArray();

        foreach (var (a, b) in pairs)
        {
            Assert.Equal(model.RoundTrip(a, b), model.RoundTrip(b, a));
            Assert.Equal(model.RoundTrip(a, b), again.RoundTrip(a, b));
            Assert.Equal(model.RoundTrip(a, b) / 2, model.OneWayDelay(a, b));
        }

        Assert.True(pairs.Count(p => model.RoundTrip(p.Item1, p.Item2) != other.RoundTrip(p.Item1, p.Item2)) > 190, "another seed gives other RTTs");
        Assert.True(pairs.Select(p => model.RoundTrip(p.Item1, p.Item2)).Distinct().Count() > 190, "pairs get different RTTs");
        Assert.Equal(TimeSpan.Zero, model.RoundTrip(EndPoint(3), EndPoint(3)));
    }

    [Fact]
    public void RoundTrip_IsLogNormal_WithTheStatedMedianAndSigma()
    {
        var model = new PairLatency(seed: 1, TimeSpan.FromMilliseconds(80), sigma: 0.6);
        var rtts = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            for (var j = i + 1; j < 200; j++)
            {
                rtts.Add(model.RoundTrip(EndPoint(i), EndPoint(j)).TotalMilliseconds);
            }
        }

        rtts.Sort();
        var median = rtts[rtts.Count / 2];
        var p90 = rtts[(int)(rtts.Count * 0.9)];
        var logs = rtts.Select(x => Math.Log(x)).ToArray();
        var mean = logs.Average();
        var sigma = Math.Sqrt(logs.Sum(x => (x - mean) * (x - mean)) / (logs.Length - 1));

        Assert.InRange(median, 78, 82);
        Assert.InRange(sigma, 0.58, 0.62);
        Assert.InRange(p90 / median, 2.05, 2.27); // e^(1.2816 σ) = 2.16
        Assert.True(rtts[0] >= 2 && rtts[^1] <= 2000, "RTTs are clamped to [2 ms, 2 s]");
    }

    [Fact]
    public async Task Network_DeliversEachDatagram_AfterHalfItsPairsRoundTrip()
    {
        var time = new ManualTimeProvider();
        var model = new PairLatency(seed: 3);
        var network = new InMemoryNetwork(time, new Random(1), new InMemoryNetworkOptions { PathDelay = model });
        var (a, b, c) = (EndPoint(1), EndPoint(2), EndPoint(3));
        await using var ta = network.Bind(a);
        await using var tb = network.Bind(b);
        await using var tc = network.Bind(c);

        await ta.SendAsync(new byte[] { 1 }, b, Token);
        await ta.SendAsync(new byte[] { 2 }, c, Token);
        var toB = model.OneWayDelay(a, b);
        var toC = model.OneWayDelay(a, c);
        Assert.NotEqual(toB, toC);

        var (first, firstDelay, second, secondDelay) = toB < toC ? (tb, toB, tc, toC) : (tc, toC, tb, toB);
        time.Advance(firstDelay - TimeSpan.FromTicks(1));
        Assert.Equal(0, first.QueuedCount);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, first.QueuedCount);
        Assert.Equal(0, second.QueuedCount);
        time.Advance(secondDelay - firstDelay);
        Assert.Equal(1, second.QueuedCount);
    }

    private static IPEndPoint EndPoint(int index) => new(new IPAddress([127, 1, (byte)(index / 50_000), 1]), 10_000 + (index % 50_000));
}

using System.Buffers.Binary;
using System.Net;
using Liaa.Node.Rpc;

namespace Liaa.Node.Simulation;

/// <summary>
/// Round-trip times like the Internet's for a simulated network: each pair of endpoints gets one RTT,
/// drawn from a log-normal distribution (median <see cref="MedianRoundTrip"/>, shape <see cref="Sigma"/>),
/// the same in both directions and on every call, computed from a hash of the seed and the two endpoints,
/// so no table of N² entries is kept and a run is reproducible. Each datagram takes half its pair's RTT.
/// </summary>
/// <remarks>
/// <para>
/// Why log-normal: measured Internet RTTs between random hosts (King, PlanetLab and RIPE Atlas data sets)
/// have a median of 60–100 ms and a right tail a few times the median; a log-normal with σ ≈ 0.6 gives
/// p10 ≈ 0.46 ×, p90 ≈ 2.16 × and p99 ≈ 4 × the median. RTTs are clamped to
/// [<see cref="MinRoundTrip"/>, <see cref="MaxRoundTrip"/>] so no pair is absurd.
/// </para>
/// <para>
/// What it does not model: jitter (a pair's RTT never changes), queueing or bandwidth, and the triangle
/// inequality (RTTs of different pairs are independent, as if every node sat in its own place).
/// </para>
/// </remarks>
public sealed class PairLatency : IPathDelay
{
    /// <summary>A log-normal model with a median of 80 ms and σ = 0.6.</summary>
    public PairLatency(int seed)
        : this(seed, TimeSpan.FromMilliseconds(80), 0.6)
    {
    }

    public PairLatency(int seed, TimeSpan medianRoundTrip, double sigma)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(medianRoundTrip, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        Seed = seed;
        MedianRoundTrip = medianRoundTrip;
        Sigma = sigma;
    }

    public int Seed { get; }

    /// <summary>The median RTT over all pairs (e^μ of the log-normal).</summary>
    public TimeSpan MedianRoundTrip { get; }

    /// <summary>The standard deviation of ln(RTT).</summary>
    public double Sigma { get; }

    /// <value>Default 2 ms.</value>
    public TimeSpan MinRoundTrip { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <value>Default 2 s.</value>
    public TimeSpan MaxRoundTrip { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The RTT between <paramref name="a"/> and <paramref name="b"/> (symmetric; 0 for an endpoint and itself).</summary>
    public TimeSpan RoundTrip(IPEndPoint a, IPEndPoint b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var x = Key(a);
        var y = Key(b);
        if (x == y)
        {
            return TimeSpan.Zero;
        }

        var (low, high) = x < y ? (x, y) : (y, x);
        var h1 = Mix(Mix((ulong)Seed ^ 0x5851F42D4C957F2DUL) ^ low);
        var h2 = Mix(h1 ^ high);
        var h3 = Mix(h2 ^ 0x2545F4914F6CDD1DUL);

        // Box–Muller on two uniforms in (0, 1] from the hash: one standard normal draw.
        var u1 = ((h2 >> 11) + 1) * (1.0 / (1UL << 53));
        var u2 = (h3 >> 11) * (1.0 / (1UL << 53));
        var z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        var ticks = MedianRoundTrip.Ticks * Math.Exp(Sigma * z);
        return TimeSpan.FromTicks((long)Math.Clamp(ticks, MinRoundTrip.Ticks, MaxRoundTrip.Ticks));
    }

    /// <summary>Half the pair's RTT, rounded down to a whole tick.</summary>
    public TimeSpan OneWayDelay(IPEndPoint from, IPEndPoint to) => RoundTrip(from, to) / 2;

    /// <summary>The endpoint as 64 bits: an IPv4 address and port fit exactly; an IPv6 one is hashed.</summary>
    private static ulong Key(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!endPoint.Address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("Unreadable address.", nameof(endPoint));
        }

        ulong address = 0;
        for (var i = 0; i < written; i += 8)
        {
            var chunk = written - i >= 8 ? BinaryPrimitives.ReadUInt64BigEndian(bytes[i..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[i..]);
            address = written <= 4 ? chunk : Mix(address ^ chunk);
        }

        return (address << 16) ^ (uint)endPoint.Port;
    }

    /// <summary>SplitMix64's finalizer: every input bit moves about half the output bits.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

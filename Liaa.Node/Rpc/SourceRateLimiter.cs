using System.Net;
using System.Runtime.InteropServices;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Requests and STOREs per second from each source, as token buckets keyed by the UDP source's address and
/// port: several nodes on one host (a local cluster, a NAT) are several sources, not one abuser. A request
/// over its source's budget is dropped without reply and counted (<see cref="DropReason.RateLimited"/>,
/// <see cref="DropReason.StoreRateLimited"/>), as an overloaded Python peer would appear.
/// </summary>
/// <remarks>
/// <para>
/// Bounded memory: at most <see cref="RpcOptions.MaxTrackedSources"/> sources have a bucket. When the table
/// is full, sources idle long enough for their buckets to have refilled are forgotten (forgetting them
/// changes nothing: a new bucket starts full); if none is, every untracked source shares one overflow
/// bucket, so spreading a flood over many source ports buys no more than one source gets.
/// </para>
/// <para>
/// Loopback is not exempt: the defaults are generous enough for a local cluster's replication bursts.
/// Time is the node's <see cref="TimeProvider"/> (the simulation's manual clock refills nothing until it moves).
/// Thread-safe; in practice called from the receive loop only.
/// </para>
/// </remarks>
internal sealed class SourceRateLimiter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, Buckets> _sources = [];
    private readonly TimeProvider _time;
    private readonly Rate _requests;
    private readonly Rate _stores;
    private readonly int _capacity;
    private readonly long _sweepInterval;
    private Buckets _overflow;
    private long _nextSweep;

    public SourceRateLimiter(RpcOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _requests = new Rate(options.RequestRatePerSource, options.RequestBurstPerSource, time.TimestampFrequency);
        _stores = new Rate(options.StoreRatePerSource, options.StoreBurstPerSource, time.TimestampFrequency);
        _capacity = options.MaxTrackedSources;
        _sweepInterval = time.TimestampFrequency;
        var now = time.GetTimestamp();
        _overflow = new Buckets(_requests, _stores, now);
    }

    /// <summary>Whether any limit is on.</summary>
    public bool IsEnabled => _requests.IsEnabled || _stores.IsEnabled;

    /// <summary>Sources with a bucket of their own.</summary>
    public int TrackedSources
    {
        get
        {
            lock (_gate)
            {
                return _sources.Count;
            }
        }
    }

    /// <summary>
    /// Takes one request (and for a STORE one store) from <paramref name="source"/>'s buckets; the reason to
    /// drop it when a bucket is empty, else <see cref="DropReason.None"/>.
    /// </summary>
    public DropReason Admit(IPEndPoint source, RpcMethod method)
    {
        if (!IsEnabled)
        {
            return DropReason.None;
        }

        var now = _time.GetTimestamp();
        lock (_gate)
        {
            ref var buckets = ref Find(source, now);
            if (!_requests.TryTake(ref buckets.RequestTokens, ref buckets.RequestsAt, now))
            {
                return DropReason.RateLimited;
            }

            if (method == RpcMethod.Store && !_stores.TryTake(ref buckets.StoreTokens, ref buckets.StoresAt, now))
            {
                return DropReason.StoreRateLimited;
            }

            return DropReason.None;
        }
    }

    private ref Buckets Find(IPEndPoint source, long now)
    {
        ref var known = ref CollectionsMarshal.GetValueRefOrNullRef(_sources, source);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref known))
        {
            return ref known;
        }

        if (_sources.Count >= _capacity && !Sweep(now))
        {
            return ref _overflow;
        }

        ref var added = ref CollectionsMarshal.GetValueRefOrAddDefault(_sources, source, out _);
        added = new Buckets(_requests, _stores, now);
        return ref added;
    }

    /// <summary>Forgets sources whose buckets are full again; true when room was made. At most once a second.</summary>
    private bool Sweep(long now)
    {
        if (now < _nextSweep)
        {
            return false;
        }

        _nextSweep = now + _sweepInterval;
        var idle = new List<IPEndPoint>();
        foreach (var (source, buckets) in _sources)
        {
            if (_requests.IsFull(buckets.RequestTokens, buckets.RequestsAt, now) && _stores.IsFull(buckets.StoreTokens, buckets.StoresAt, now))
            {
                idle.Add(source);
            }
        }

        foreach (var source in idle)
        {
            _sources.Remove(source);
        }

        return _sources.Count < _capacity;
    }

    private struct Buckets(Rate requests, Rate stores, long now)
    {
        public double RequestTokens = requests.Burst;
        public long RequestsAt = now;
        public double StoreTokens = stores.Burst;
        public long StoresAt = now;
    }

    /// <summary>A token bucket's parameters: tokens per timestamp tick, and the burst (capacity). A rate of 0 is no limit.</summary>
    private readonly struct Rate(double perSecond, int burst, long frequency)
    {
        public readonly double PerTick = perSecond / frequency;

        public readonly double Burst = Math.Max(1, burst);

        public bool IsEnabled => PerTick > 0;

        public bool TryTake(ref double tokens, ref long at, long now)
        {
            if (!IsEnabled)
            {
                return true;
            }

            tokens = Refill(tokens, at, now);
            at = now;
            if (tokens < 1)
            {
                return false;
            }

            tokens--;
            return true;
        }

        public bool IsFull(double tokens, long at, long now) => !IsEnabled || Refill(tokens, at, now) >= Burst;

        private double Refill(double tokens, long at, long now) => Math.Min(Burst, tokens + (Math.Max(0, now - at) * PerTick));
    }
}

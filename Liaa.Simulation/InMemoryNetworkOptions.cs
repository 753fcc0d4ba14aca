namespace Liaa.Node.Rpc;

/// <summary>How an <see cref="InMemoryNetwork"/> treats datagrams. Can be replaced while the network runs.</summary>
public sealed record InMemoryNetworkOptions
{
    /// <summary>Share of datagrams lost, drawn from the network's seeded <see cref="Random"/>.</summary>
    /// <value>From 0 (none, the default) to 1 (all).</value>
    public double LossRate { get; init; }

    /// <summary>Shortest one-way delay.</summary>
    /// <value>Default zero. Zero delay (with <see cref="MaxDelay"/> zero) delivers at once, without timers.</value>
    public TimeSpan MinDelay { get; init; }

    /// <summary>Longest one-way delay; each datagram's delay is drawn uniformly in [<see cref="MinDelay"/>, <see cref="MaxDelay"/>].</summary>
    /// <value>Default zero.</value>
    public TimeSpan MaxDelay { get; init; }

    /// <summary>A delay per pair of endpoints (a simulated distance, e.g. <see cref="Simulation.PairLatency"/>), added to the drawn one.</summary>
    /// <value>Default <see langword="null"/>: no per-path delay.</value>
    public IPathDelay? PathDelay { get; init; }

    /// <summary>Datagrams waiting in one receiver's queue before more are dropped, as a full socket buffer does.</summary>
    /// <value>Default 4096 datagrams.</value>
    public int ReceiveQueueCapacity { get; init; } = 4096;

    internal void Validate()
    {
        if (LossRate is < 0 or > 1 || double.IsNaN(LossRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LossRate), LossRate, "LossRate must be between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinDelay, TimeSpan.Zero, nameof(MinDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, MinDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReceiveQueueCapacity, nameof(ReceiveQueueCapacity));
    }
}

/// <summary>What happened to the datagrams sent through an <see cref="InMemoryNetwork"/> so far.</summary>
/// <param name="Sent">Datagrams handed to the network.</param>
/// <param name="Delivered">Datagrams placed in a receiver's queue.</param>
/// <param name="Lost">Datagrams lost to <see cref="InMemoryNetworkOptions.LossRate"/>.</param>
/// <param name="Blocked">Datagrams stopped by a partition or a disconnected endpoint.</param>
/// <param name="Unreachable">Datagrams to an endpoint nobody is bound to (at delivery time).</param>
/// <param name="Overflowed">Datagrams dropped because the receiver's queue was full.</param>
public readonly record struct InMemoryNetworkCounters(long Sent, long Delivered, long Lost, long Blocked, long Unreachable, long Overflowed);

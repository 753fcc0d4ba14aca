using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// A fixed one-way delay per path of an <see cref="InMemoryNetwork"/> (a simulated distance between two
/// endpoints), added to the delay drawn from <see cref="InMemoryNetworkOptions.MinDelay"/> and
/// <see cref="InMemoryNetworkOptions.MaxDelay"/>. Must be a pure function of its arguments: it is called
/// for every datagram, from many threads, without a lock.
/// </summary>
public interface IPathDelay
{
    /// <summary>How long a datagram from <paramref name="from"/> to <paramref name="to"/> travels; never negative.</summary>
    TimeSpan OneWayDelay(IPEndPoint from, IPEndPoint to);
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Liaa.Node.Rpc;

/// <summary>Sees every datagram sent through an <see cref="InMemoryNetwork"/>, before its fate is decided.</summary>
public delegate void InMemoryDatagramTap(IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> datagram);

/// <summary>
/// A simulated UDP network for deterministic tests and large simulations: transports bound to
/// endpoints exchange datagrams with seeded loss, delay drawn from a range plus a fixed delay per path
/// (<see cref="InMemoryNetworkOptions.PathDelay"/>), partitions between groups
/// of endpoints, and endpoints cut off entirely.
/// </summary>
/// <remarks>
/// <para>
/// Determinism: loss and delay come from the seeded <see cref="Random"/> given to the constructor, in
/// the order datagrams are sent; delayed datagrams wait in one priority queue (due time, then send
/// order) behind a single timer of the <see cref="TimeProvider"/>, so with a manual clock nothing
/// moves until the test advances it. Zero delay delivers inside the send, with no timer at all.
/// </para>
/// <para>
/// Scale: routing is one dictionary lookup by endpoint, each transport is a queue (no thread per
/// node), and in-flight datagrams cost one pooled buffer each, so 10,000 nodes in one process are fine.
/// </para>
/// <para>
/// Like UDP, a datagram to an endpoint nobody is bound to vanishes silently (no ICMP is simulated).
/// Partitions and disconnections are judged when a datagram is sent, as if it were already on the
/// wire afterwards.
/// </para>
/// </remarks>
public sealed class InMemoryNetwork
{
    /// <summary>The largest datagram UDP over IPv4 can carry; larger sends fail as a socket's would.</summary>
    public const int MaxDatagramSize = 65507;

    private const int FirstEphemeralPort = 49152;

    /// <summary>
    /// The buffers of datagrams in flight or queued, given back by the receiver. A pool of its own: a simulated network
    /// has hundreds queued at once (32 nodes joining, each pinging the 20 contacts it was introduced to), more than
    /// the shared pool keeps per size, and the rest were allocated anew (a sixteenth of bench sim's allocations).
    /// </summary>
    internal static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(MaxDatagramSize + 1, maxArraysPerBucket: 4096);

    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<IPEndPoint, InMemoryDatagramTransport> _bound = new();
    private readonly ConcurrentDictionary<IPEndPoint, byte> _disconnected = new();
    private readonly PriorityQueue<InFlight, (long DueTicks, long Sequence)> _inFlight = new();
    private InMemoryNetworkOptions _options;
    private volatile Dictionary<IPEndPoint, int>? _groups;
    private ITimer? _timer;
    private long _armedForTicks = long.MaxValue;
    private long _sequence;
    private int _nextPort = FirstEphemeralPort;
    private long _sent;
    private long _delivered;
    private long _lost;
    private long _blocked;
    private long _unreachable;
    private long _overflowed;

    // Datagrams in receive queues whose reader is still reading, not yet read; and datagrams read.
    private long _waiting;
    private long _received;

    // How many endpoints are cut off: ConcurrentDictionary.IsEmpty takes every lock of the dictionary, and every send
    // asked it (a twentieth of bench sim's CPU, contended across threads).
    private int _disconnectedCount;

    public InMemoryNetwork(TimeProvider time, Random random, InMemoryNetworkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        options ??= new InMemoryNetworkOptions();
        options.Validate();
        _time = time;
        _random = random;
        _options = options;
    }

    /// <summary>Loss, delay and queue size; replacing them affects datagrams sent from then on.</summary>
    public InMemoryNetworkOptions Options
    {
        get => Volatile.Read(ref _options);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            Volatile.Write(ref _options, value);
        }
    }

    /// <summary>Called for every datagram sent (tests look at the bytes on the wire with it).</summary>
    public InMemoryDatagramTap? Tap { get; set; }

    /// <summary>Number of endpoints currently bound.</summary>
    public int BoundCount => _bound.Count;

    /// <summary>Number of delayed datagrams not yet delivered.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>
    /// Datagrams in a receive queue, not yet read, whose reader has not stopped: a node's receive loop has work in hand,
    /// so the network is not quiet (<see cref="Simulation.SimulatedNetwork"/> does not move the clock past them).
    /// </summary>
    public long WaitingCount => Interlocked.Read(ref _waiting);

    /// <summary>Datagrams read from receive queues so far: receive loops are moving while it grows.</summary>
    public long ReceivedCount => Interlocked.Read(ref _received);

    public InMemoryNetworkCounters Counters => new(
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _delivered),
        Interlocked.Read(ref _lost),
        Interlocked.Read(ref _blocked),
        Interlocked.Read(ref _unreachable),
        Interlocked.Read(ref _overflowed));

    /// <summary>
    /// Binds a transport to <paramref name="local"/>; port 0 picks a free port on that address.
    /// Disposing the transport unbinds it.
    /// </summary>
    /// <exception cref="SocketException">The endpoint is already bound (<see cref="SocketError.AddressAlreadyInUse"/>).</exception>
    public InMemoryDatagramTransport Bind(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        lock (_gate)
        {
            var endPoint = new IPEndPoint(local.Address, local.Port);
            if (endPoint.Port == 0)
            {
                endPoint.Port = FreePort(local.Address);
            }

            var transport = new InMemoryDatagramTransport(this, endPoint, Options.ReceiveQueueCapacity);
            if (!_bound.TryAdd(endPoint, transport))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }

            return transport;
        }
    }

    /// <summary>
    /// Splits the network: endpoints in different groups cannot reach each other. Endpoints in no
    /// group still reach everyone (a client outside the split, say). Replaces any earlier partition.
    /// </summary>
    public void Partition(params IEnumerable<IPEndPoint>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var map = new Dictionary<IPEndPoint, int>();
        for (var i = 0; i < groups.Length; i++)
        {
            foreach (var endPoint in groups[i])
            {
                if (!map.TryAdd(endPoint, i + 1))
                {
                    throw new ArgumentException($"{endPoint} is in more than one group.", nameof(groups));
                }
            }
        }

        _groups = map;
    }

    /// <summary>Ends any partition.</summary>
    public void Heal() => _groups = null;

    /// <summary>Cuts <paramref name="endPoint"/> off: nothing it sends or is sent arrives, until <see cref="Reconnect"/>.</summary>
    public void Disconnect(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (_disconnected.TryAdd(endPoint, 0))
        {
            Interlocked.Increment(ref _disconnectedCount);
        }
    }

    /// <summary>Undoes <see cref="Disconnect"/>.</summary>
    public void Reconnect(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (_disconnected.TryRemove(endPoint, out _))
        {
            Interlocked.Decrement(ref _disconnectedCount);
        }
    }

    /// <summary>Whether a datagram from <paramref name="from"/> to <paramref name="to"/> would be let through now (loss aside).</summary>
    public bool CanReach(IPEndPoint from, IPEndPoint to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (Volatile.Read(ref _disconnectedCount) > 0 && (_disconnected.ContainsKey(from) || _disconnected.ContainsKey(to)))
        {
            return false;
        }

        var groups = _groups;
        if (groups is null)
        {
            return true;
        }

        var a = groups.GetValueOrDefault(from);
        var b = groups.GetValueOrDefault(to);
        return a == 0 || b == 0 || a == b;
    }

    internal void Send(IPEndPoint from, ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        if (datagram.Length > MaxDatagramSize)
        {
            throw new SocketException((int)SocketError.MessageSize);
        }

        Interlocked.Increment(ref _sent);
        Tap?.Invoke(from, to, datagram);
        if (!CanReach(from, to))
        {
            Interlocked.Increment(ref _blocked);
            return;
        }

        var options = Options;
        var delayTicks = options.MinDelay.Ticks;
        var spread = options.MaxDelay.Ticks - delayTicks;

        // A perfect network draws nothing, so it needs no lock (many nodes send at once in a simulation).
        if (options.LossRate > 0 || spread > 0)
        {
            lock (_gate)
            {
                if (options.LossRate > 0 && _random.NextDouble() < options.LossRate)
                {
                    Interlocked.Increment(ref _lost);
                    return;
                }

                delayTicks += spread > 0 ? _random.NextInt64(spread + 1) : 0;
            }
        }

        if (options.PathDelay is { } path)
        {
            var pathTicks = path.OneWayDelay(from, to).Ticks;
            delayTicks += pathTicks > 0 ? pathTicks : 0;
        }

        var buffer = Buffers.Rent(Math.Max(datagram.Length, 1));
        datagram.CopyTo(buffer);
        var packet = new InFlight(buffer, datagram.Length, from, to);
        if (delayTicks == 0)
        {
            Deliver(packet);
            return;
        }

        lock (_gate)
        {
            var due = _time.GetUtcNow().UtcTicks + delayTicks;
            _inFlight.Enqueue(packet, (due, _sequence++));
            ArmLocked(due);
        }
    }

    internal void Unbind(InMemoryDatagramTransport transport) =>
        _bound.TryRemove(new KeyValuePair<IPEndPoint, InMemoryDatagramTransport>(transport.LocalEndPoint, transport));

    private void Deliver(in InFlight packet)
    {
        if (!_bound.TryGetValue(packet.To, out var receiver))
        {
            Interlocked.Increment(ref _unreachable);
            Buffers.Return(packet.Buffer);
            return;
        }

        if (!receiver.TryEnqueue(new InMemoryDatagramTransport.Inbound(packet.Buffer, packet.Length, packet.From)))
        {
            Interlocked.Increment(ref _overflowed);
            Buffers.Return(packet.Buffer);
            return;
        }

        Interlocked.Increment(ref _delivered);
    }

    /// <summary>Datagrams a reader will read came into (positive) or left (negative) its queue.</summary>
    internal void AddWaiting(int count) => Interlocked.Add(ref _waiting, count);

    /// <summary>A receive queue gave its reader a datagram.</summary>
    internal void OnRead() => Interlocked.Increment(ref _received);

    private void ArmLocked(long dueTicks)
    {
        if (dueTicks >= _armedForTicks)
        {
            return;
        }

        _armedForTicks = dueTicks;
        var wait = TimeSpan.FromTicks(Math.Max(0, dueTicks - _time.GetUtcNow().UtcTicks));
        if (_timer is null)
        {
            _timer = _time.CreateTimer(static state => ((InMemoryNetwork)state!).OnTimer(), this, wait, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(wait, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            _armedForTicks = long.MaxValue;
            var now = _time.GetUtcNow().UtcTicks;

            // Delivery only writes to channels that never run continuations inline, so it is safe under the lock,
            // and doing it here keeps the due-time order exact.
            while (_inFlight.TryPeek(out _, out var priority) && priority.DueTicks <= now)
            {
                Deliver(_inFlight.Dequeue());
            }

            if (_inFlight.TryPeek(out _, out var next))
            {
                ArmLocked(next.DueTicks);
            }
        }
    }

    private int FreePort(IPAddress address)
    {
        for (var attempt = 0; attempt < 65536 - FirstEphemeralPort; attempt++)
        {
            var port = _nextPort;
            _nextPort = port == 65535 ? FirstEphemeralPort : port + 1;
            if (!_bound.ContainsKey(new IPEndPoint(address, port)))
            {
                return port;
            }
        }

        throw new SocketException((int)SocketError.AddressAlreadyInUse);
    }

    private readonly record struct InFlight(byte[] Buffer, int Length, IPEndPoint From, IPEndPoint To);
}

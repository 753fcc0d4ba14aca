using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Liaa.Node.Rpc;

/// <summary>
/// <see cref="IDatagramTransport"/> over one UDP socket: IPv4, IPv6, or dual-stack when bound to
/// <see cref="IPAddress.IPv6Any"/> (IPv4 peers then appear as plain IPv4 endpoints both ways).
/// </summary>
/// <remarks>
/// <para>
/// Receiving is allocation-free in steady state: the socket fills a reused <see cref="SocketAddress"/>,
/// and the <see cref="IPEndPoint"/> handed to the caller comes from a bounded per-source cache, so a
/// peer that keeps talking costs no allocation. Returned endpoints are shared: do not mutate them.
/// Sends serialise each destination once into a bounded cache as well.
/// </para>
/// <para>
/// Sends are synchronous system calls (a UDP send does not wait for the network; it returns once the
/// datagram is queued), so the socket is never switched to the runtime's emulated non-blocking mode and
/// the RPC receive loop can block in the kernel on a thread of its own (<see cref="IBlockingDatagramSource"/>):
/// each datagram then wakes that thread directly, with no hop through the runtime's socket engine and
/// thread pool, and an idle node sleeps.
/// </para>
/// <para>
/// On 64-bit Linux that thread receives through <see cref="MultiMessageSocket"/>: one <c>recvmmsg</c> takes the first
/// datagram and every other one already queued, and what the thread sends while it serves them (the replies) is
/// gathered and leaves in one <c>sendmmsg</c> before it waits again. Sends from any other thread go at once. One at a
/// time this is the plain path's cost; under load it saves a system call (and a wake-up) per datagram each way.
/// </para>
/// <para>
/// An ICMP "port unreachable" for an earlier send surfaces on Windows (and on Linux for some
/// socket states) as <see cref="SocketError.ConnectionReset"/> or
/// <see cref="SocketError.ConnectionRefused"/> on the next receive or send. For a DHT that talks to
/// peers which come and go, that is normal: it is ignored, never allowed to end the receive loop.
/// </para>
/// </remarks>
public sealed class UdpDatagramTransport : IDatagramTransport, IBlockingDatagramSource
{
    // How long a blocking receive waits before it returns empty-handed, so its thread sees a stop even if the wake-up datagram was lost.
    private static readonly TimeSpan BlockingReceiveTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Default kernel receive buffer: room for bursts of responses to parallel lookups.</summary>
    public const int DefaultReceiveBufferSize = 4 * 1024 * 1024;

    /// <summary>Default kernel send buffer.</summary>
    public const int DefaultSendBufferSize = 1024 * 1024;

    // Bounds both endpoint caches; a flood of spoofed sources then costs a clear, not memory.
    private const int EndPointCacheCapacity = 4096;

    // SIO_UDP_CONNRESET: stop Windows reporting ICMP port-unreachable as a receive error.
    private const int SioUdpConnectionReset = unchecked((int)0x9800000C);

    private readonly Socket _socket;
    private readonly SocketAddress _receiveAddress;
    private readonly int _maxAddressSize;
    private readonly Dictionary<SocketAddress, IPEndPoint> _sources = [];
    private readonly ConcurrentDictionary<IPEndPoint, SocketAddress> _destinations = new();
    private int _destinationCount;

    // recvmmsg/sendmmsg on Linux, owned by the receive thread (whose managed id is kept: only its sends are gathered).
    private MultiMessageSocket? _batch;
    private int _batchThread;
    private bool _batchUnavailable;
    private Action<Exception>? _gatheredSendFailed;

    private UdpDatagramTransport(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = IDatagramTransport.Normalize((IPEndPoint)socket.LocalEndPoint!);
        _maxAddressSize = SocketAddress.GetMaximumAddressSize(socket.AddressFamily);
        _receiveAddress = new SocketAddress(socket.AddressFamily, _maxAddressSize);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Whether the socket accepts both IPv4 and IPv6 peers.</summary>
    public bool IsDualStack => _socket.AddressFamily == AddressFamily.InterNetworkV6 && _socket.DualMode;

    /// <summary>
    /// Binds a UDP socket to <paramref name="local"/> (port 0 picks a free port). Binding to
    /// <see cref="IPAddress.IPv6Any"/> makes a dual-stack socket.
    /// </summary>
    /// <exception cref="SocketException">The address is unavailable or the port is taken.</exception>
    public static UdpDatagramTransport Bind(
        IPEndPoint local,
        int receiveBufferSize = DefaultReceiveBufferSize,
        int sendBufferSize = DefaultSendBufferSize)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(receiveBufferSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sendBufferSize);

        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetworkV6 && local.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            // The kernel caps these (net.core.rmem_max on Linux) rather than failing.
            socket.ReceiveBufferSize = receiveBufferSize;
            socket.SendBufferSize = sendBufferSize;
            if (OperatingSystem.IsWindows())
            {
                socket.IOControl(SioUdpConnectionReset, [0, 0, 0, 0], null);
            }

            socket.ReceiveTimeout = (int)BlockingReceiveTimeout.TotalMilliseconds;
            socket.Bind(local);
            return new UdpDatagramTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            Send(datagram.Span, remote);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>
    /// Sends one datagram now, on the calling thread; on the receive thread of a batching socket (Linux), it is gathered
    /// and leaves with the others that thread sends before it next waits for datagrams.
    /// </summary>
    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        var address = Destination(remote);
        if (_batch is { } batch && Environment.CurrentManagedThreadId == _batchThread)
        {
            if (batch.TryQueue(datagram, address))
            {
                return;
            }

            batch.Flush(_gatheredSendFailed);
            if (batch.TryQueue(datagram, address))
            {
                return;
            }
        }

        try
        {
            _socket.SendTo(datagram, SocketFlags.None, address);
        }
        catch (SocketException ex) when (IsStaleIcmpError(ex.SocketErrorCode))
        {
            // The error belongs to an earlier datagram; this one was not sent yet.
            _socket.SendTo(datagram, SocketFlags.None, address);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int length;
            try
            {
                _receiveAddress.Size = _maxAddressSize;
                length = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _receiveAddress, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (IsStaleIcmpError(ex.SocketErrorCode) || ex.SocketErrorCode == SocketError.MessageSize)
            {
                // ICMP noise about an earlier send, or (Windows) a datagram larger than the buffer: skip it.
                continue;
            }

            return new ReceivedDatagram(length, Source(_receiveAddress));
        }
    }

    /// <inheritdoc />
    int IBlockingDatagramSource.Receive(Span<byte> buffer, out IPEndPoint? remote)
    {
        // Only the one receive thread calls this, so the reused address and the batch need no lock.
        if (_batch is null && !_batchUnavailable)
        {
            _batch = MultiMessageSocket.TryCreate(_socket);
            _batchUnavailable = _batch is null;
            _batchThread = Environment.CurrentManagedThreadId;
        }

        if (_batch is { } batch)
        {
            if (batch.Pending == 0)
            {
                // What this thread sent while it served the last burst leaves before it waits again.
                batch.Flush(_gatheredSendFailed);
                if (!batch.Receive())
                {
                    remote = null;
                    return 0;
                }
            }

            var received = batch.Take(buffer, _receiveAddress);
            remote = Source(_receiveAddress);
            return received;
        }

        while (true)
        {
            int length;
            try
            {
                _receiveAddress.Size = _maxAddressSize;
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, _receiveAddress);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
            {
                remote = null;
                return 0;
            }
            catch (SocketException ex) when (IsStaleIcmpError(ex.SocketErrorCode) || ex.SocketErrorCode == SocketError.MessageSize)
            {
                continue;
            }

            remote = Source(_receiveAddress);
            return length;
        }
    }

    /// <inheritdoc />
    Action<Exception>? IBlockingDatagramSource.GatheredSendFailed
    {
        set => _gatheredSendFailed = value;
    }

    /// <inheritdoc />
    void IBlockingDatagramSource.EndReceiving()
    {
        if (_batch is { } batch && Environment.CurrentManagedThreadId == _batchThread)
        {
            _batch = null;
            batch.Flush(_gatheredSendFailed);
            batch.Dispose();
        }
    }

    /// <inheritdoc />
    void IBlockingDatagramSource.WakeReceiver()
    {
        // An empty datagram to ourselves; the receive thread sees its stop flag once it returns.
        var self = LocalEndPoint.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, LocalEndPoint.Port)
            : LocalEndPoint.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, LocalEndPoint.Port)
            : LocalEndPoint;
        try
        {
            _socket.SendTo([], SocketFlags.None, self);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The thread still stops within the receive timeout.
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static bool IsStaleIcmpError(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    private IPEndPoint Source(SocketAddress address)
    {
        // Only the single receiver touches _sources, so it needs no lock.
        if (_sources.TryGetValue(address, out var known))
        {
            return known;
        }

        if (_sources.Count >= EndPointCacheCapacity)
        {
            _sources.Clear();
        }

        var endPoint = IDatagramTransport.Normalize((IPEndPoint)LocalEndPoint.Create(address));
        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
        _sources[key] = endPoint;
        return endPoint;
    }

    private SocketAddress Destination(IPEndPoint remote)
    {
        if (_destinations.TryGetValue(remote, out var cached))
        {
            return cached;
        }

        var target = remote;
        if (IsDualStack && remote.AddressFamily == AddressFamily.InterNetwork)
        {
            target = new IPEndPoint(remote.Address.MapToIPv6(), remote.Port);
        }

        var address = target.Serialize();
        if (Volatile.Read(ref _destinationCount) < EndPointCacheCapacity
            && _destinations.TryAdd(new IPEndPoint(remote.Address, remote.Port), address))
        {
            Interlocked.Increment(ref _destinationCount);
        }

        return address;
    }
}

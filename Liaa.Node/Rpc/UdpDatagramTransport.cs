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
/// An ICMP "port unreachable" for an earlier send surfaces on Windows (and on Linux for some
/// socket states) as <see cref="SocketError.ConnectionReset"/> or
/// <see cref="SocketError.ConnectionRefused"/> on the next receive or send. For a DHT that talks to
/// peers which come and go, that is normal: it is ignored, never allowed to end the receive loop.
/// </para>
/// </remarks>
public sealed class UdpDatagramTransport : IDatagramTransport
{
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

    private UdpDatagramTransport(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = Normalize((IPEndPoint)socket.LocalEndPoint!);
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

            socket.Bind(local);
            return new UdpDatagramTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var address = Destination(remote);
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, address, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (IsStaleIcmpError(ex.SocketErrorCode))
        {
            // The error belongs to an earlier datagram; this one was not sent yet.
            await _socket.SendToAsync(datagram, SocketFlags.None, address, cancellationToken).ConfigureAwait(false);
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

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Maps an IPv4-mapped IPv6 endpoint (as a dual-stack socket reports IPv4 peers) back to IPv4.</summary>
    internal static IPEndPoint Normalize(IPEndPoint endPoint) => IDatagramTransport.Normalize(endPoint);

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

        var endPoint = Normalize((IPEndPoint)LocalEndPoint.Create(address));
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

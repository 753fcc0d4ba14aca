using System.Net;
using System.Net.Sockets;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// Picks free ports for nodes by letting the kernel choose (bind to port 0, read the port, close),
/// and never hands the same port out twice within one cluster: between the probe and the node's own
/// bind, a second probe could otherwise be given the port just released.
/// </summary>
/// <remarks>
/// A port can still be taken by someone else between the probe and the node's bind; the supervisor
/// answers that by starting the node again on fresh ports when it exits before becoming healthy.
/// </remarks>
internal sealed class PortAllocator
{
    private const int MaxAttempts = 64;

    private readonly Lock _gate = new();
    private readonly HashSet<(ProtocolType, int)> _handedOut = [];

    /// <summary>A UDP port free on every address (nodes may bind the wildcard).</summary>
    public int NextUdpPort() => Next(ProtocolType.Udp);

    /// <summary>A TCP port free on loopback.</summary>
    public int NextTcpPort() => Next(ProtocolType.Tcp);

    /// <summary>Marks <paramref name="port"/> as used by this cluster (a fixed seed port, a port kept across restarts).</summary>
    public void Reserve(ProtocolType protocol, int port)
    {
        lock (_gate)
        {
            _handedOut.Add((protocol, port));
        }
    }

    /// <summary>True when <paramref name="port"/> can be bound right now.</summary>
    public static bool IsFree(ProtocolType protocol, int port)
    {
        try
        {
            using var socket = Bind(protocol, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private int Next(ProtocolType protocol)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            int port;
            using (var socket = Bind(protocol, 0))
            {
                port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            }

            lock (_gate)
            {
                if (_handedOut.Add((protocol, port)))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free {protocol} port found in {MaxAttempts} attempts.");
    }

    private static Socket Bind(ProtocolType protocol, int port)
    {
        var socket = protocol == ProtocolType.Udp
            ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(protocol == ProtocolType.Udp ? IPAddress.Any : IPAddress.Loopback, port));
            if (protocol == ProtocolType.Tcp)
            {
                socket.Listen();
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

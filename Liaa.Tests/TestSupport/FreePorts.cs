using System.Net;
using System.Net.Sockets;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// Free loopback ports for live tests, asked of the system: a TCP port (bind to 0, read, release) and a
/// run of consecutive free UDP ports for a cluster's fixed node ports. Another process can take a port
/// between this and its use; the AppHost's own port check then says so and the test fails clearly.
/// </summary>
internal static class FreePorts
{
    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A base port such that <paramref name="count"/> UDP ports from it are free on 127.0.0.1.</summary>
    public static int UdpRun(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            int first;
            using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                first = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
            }

            if (first + count < 65000 && Enumerable.Range(first, count).All(IsUdpFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"no run of {count} free UDP ports found");
    }

    private static bool IsUdpFree(int port)
    {
        try
        {
            using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace Liaa.Node.Bench;

/// <summary>
/// The ceiling <c>bench rpc</c> compares against: two bare UDP sockets on 127.0.0.1 in this process,
/// an echo loop answering every datagram with one of the response size, and a client keeping
/// <c>inFlight</c> datagrams outstanding (one at a time, or a window: each answer sends the next).
/// No ids, no matching, no decoding: only the sockets and the async machinery any .NET UDP code pays.
/// </summary>
internal static class RawUdpPingPong
{
    /// <summary>Round trips per second over <paramref name="duration"/>.</summary>
    public static async Task<double> MeasureAsync(int requestBytes, int responseBytes, int inFlight, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var server = Bind();
        using var client = Bind();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var echo = Task.Run(() => EchoAsync(server, responseBytes, stop.Token), CancellationToken.None);
        var serverAddress = server.LocalEndPoint!.Serialize();
        var request = new byte[requestBytes];
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        long completed = 0;
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            for (var i = 0; i < inFlight; i++)
            {
                await client.SendToAsync(request, SocketFlags.None, serverAddress, stop.Token).ConfigureAwait(false);
            }

            // One receive loop; each answer releases the next request, so exactly inFlight stay outstanding.
            using var timeout = new CancellationTokenSource(duration);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop.Token);
            while (!linked.IsCancellationRequested)
            {
                try
                {
                    await client.ReceiveFromAsync(buffer, SocketFlags.None, from, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    break;
                }

                completed++;
                await client.SendToAsync(request, SocketFlags.None, serverAddress, stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            server.Dispose();
            await echo.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return completed / TimeProvider.System.GetElapsedTime(started).TotalSeconds;
    }

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 * 1024 * 1024,
            SendBufferSize = 1024 * 1024,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static async Task EchoAsync(Socket server, int responseBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        var response = new byte[responseBytes];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await server.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
                await server.SendToAsync(response, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped by the measurement.
        }
    }
}

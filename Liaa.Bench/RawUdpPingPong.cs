using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Liaa.Node.Bench;

/// <summary>
/// The ceiling <c>bench rpc</c> compares against: the fastest plain UDP request/response this process can
/// do on 127.0.0.1. Two dedicated threads, each on its own non-blocking socket, poll in a tight loop: the
/// echo thread answers every datagram with one of the response size, the client thread keeps
/// <c>inFlight</c> datagrams outstanding (each answer sends the next). No ids, no matching, no decoding,
/// no async machinery, no thread ever sleeps: only the system calls (one receive and one send per
/// datagram, from preallocated buffers), as a C ping-pong does.
/// </summary>
/// <remarks>
/// The sockets are connected to each other so the non-throwing <see cref="Socket.Receive(Span{byte}, SocketFlags, out SocketError)"/>
/// and <see cref="Socket.Send(ReadOnlySpan{byte}, SocketFlags, out SocketError)"/> can be used (.NET's
/// ReceiveFrom throws on would-block); a connected UDP socket also skips the route lookup of every send,
/// so if anything this ceiling is a little higher than the <c>recvfrom</c>/<c>sendto</c> of an unconnected
/// one. Polling costs both cores for as long as it runs: a ceiling, not a way to run a node. With
/// <c>polling: false</c> the same two threads block in the kernel instead (each datagram wakes a sleeping
/// thread): the fastest a design that sleeps while idle can hope for, which is what a node is.
/// </remarks>
internal static class RawUdpPingPong
{
    /// <summary>Round trips per second over <paramref name="duration"/>.</summary>
    public static Task<double> MeasureAsync(int requestBytes, int responseBytes, int inFlight, TimeSpan duration, bool polling, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFlight);
        var result = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new Thread(() =>
        {
            try
            {
                result.TrySetResult(Measure(requestBytes, responseBytes, inFlight, duration, polling, cancellationToken));
            }
            catch (Exception ex)
            {
                result.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "raw UDP client",
        };
        client.Start();
        return result.Task;
    }

    private static double Measure(int requestBytes, int responseBytes, int inFlight, TimeSpan duration, bool polling, CancellationToken cancellationToken)
    {
        using var server = Bind(polling);
        using var client = Bind(polling);
        server.Connect(client.LocalEndPoint!);
        client.Connect(server.LocalEndPoint!);
        var stop = 0;
        var echo = new Thread(() => Echo(server, responseBytes, ref stop)) { IsBackground = true, Name = "raw UDP echo" };
        echo.Start();
        try
        {
            var request = new byte[requestBytes];
            var buffer = new byte[65536];
            for (var i = 0; i < inFlight; i++)
            {
                Send(client, request);
            }

            long completed = 0;
            var idle = 0;
            var started = Stopwatch.GetTimestamp();
            var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                _ = client.Receive(buffer, SocketFlags.None, out var error);
                if (error == SocketError.Success)
                {
                    completed++;
                    idle = 0;
                    Send(client, request);
                    if ((completed & 63) != 0)
                    {
                        continue;
                    }
                }
                else if (error is not (SocketError.WouldBlock or SocketError.TimedOut) && !IsStaleIcmpError(error))
                {
                    throw new SocketException((int)error);
                }

                else
                {
                    Idle(ref idle);
                }

                if (Stopwatch.GetTimestamp() >= deadline || cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            return completed / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            echo.Join();
        }
    }

    private static Socket Bind(bool polling)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 * 1024 * 1024,
            SendBufferSize = 1024 * 1024,
            Blocking = !polling,

            // Blocking: wake up now and then to see whether the measurement is over.
            ReceiveTimeout = polling ? 0 : 100,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static void Echo(Socket server, int responseBytes, ref int stop)
    {
        var buffer = new byte[65536];
        var response = new byte[responseBytes];
        var idle = 0;
        while (Volatile.Read(ref stop) == 0)
        {
            _ = server.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                idle = 0;
                Send(server, response);
            }
            else
            {
                Idle(ref idle);
            }
        }
    }

    /// <summary>
    /// After 64 empty polls in a row (tens of µs: far longer than a round trip on an idle machine), yields the
    /// core once, so on a busy machine a poller does not sit on a core its peer thread is waiting for.
    /// </summary>
    private static void Idle(ref int idle)
    {
        if (++idle >= 64)
        {
            idle = 0;
            Thread.Yield();
        }
    }

    private static void Send(Socket socket, byte[] datagram)
    {
        // A full send buffer (never expected here: at most inFlight datagrams are outstanding) is polled too.
        while (true)
        {
            _ = socket.Send(datagram, SocketFlags.None, out var error);
            if (error != SocketError.WouldBlock && error != SocketError.NoBufferSpaceAvailable)
            {
                return;
            }
        }
    }

    private static bool IsStaleIcmpError(SocketError error) => error is SocketError.ConnectionRefused or SocketError.ConnectionReset;
}

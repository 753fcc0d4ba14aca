using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// A transport the RPC receive loop can read from a dedicated thread that blocks in the kernel: every
/// datagram wakes that thread directly (no socket engine, no thread-pool hop), and an idle node sleeps.
/// </summary>
internal interface IBlockingDatagramSource
{
    /// <summary>
    /// Waits (a bounded time) for the next datagram and copies it into <paramref name="buffer"/>; returns its
    /// length and source, or a null <paramref name="remote"/> when the wait ended empty-handed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    int Receive(Span<byte> buffer, out IPEndPoint? remote);

    /// <summary>Makes a waiting <see cref="Receive"/> return soon (the receive thread is stopping).</summary>
    void WakeReceiver();
}

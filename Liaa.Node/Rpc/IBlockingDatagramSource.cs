using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// A transport the RPC receive loop can read from a dedicated thread that blocks in the kernel: every
/// datagram wakes that thread directly (no socket engine, no thread-pool hop), and an idle node sleeps.
/// A source may receive a burst of datagrams in one system call and hand them out one by one, and send what the
/// receive thread sends while it serves them in one system call before it waits again.
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

    /// <summary>
    /// Told about a datagram the receive thread sent that the kernel refused when it left: a source may gather the
    /// receive thread's sends and send them together before its next wait, after the sender was told they went.
    /// </summary>
    Action<Exception>? GatheredSendFailed { set; }

    /// <summary>Called by the receive thread as it ends: what it gathered is sent, what it holds is freed.</summary>
    void EndReceiving();
}

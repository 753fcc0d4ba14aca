using System.Net;

namespace Liaa.Node.Rpc;

/// <summary>
/// A transport whose datagrams already wait in memory (the simulated network): the receive loop can
/// wait for one without holding a buffer and read it in place. With 10,000 simulated nodes in one
/// process, a 64 KB receive buffer per node would cost 640 MB; this way only datagrams in flight do.
/// </summary>
internal interface IQueuedDatagramSource
{
    /// <summary>
    /// Completes when a datagram can be read; false once the transport is closed or <paramref name="cancellationToken"/>
    /// is cancelled (a stopped reader ends without an exception: a simulated network stops thousands of them).
    /// </summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);

    /// <summary>Takes the next datagram: its bytes are the first <paramref name="length"/> of a buffer the caller must give back with <see cref="ReturnBuffer"/>.</summary>
    bool TryRead(out byte[] pooledBuffer, out int length, out IPEndPoint remote);

    /// <summary>Gives back a buffer <see cref="TryRead"/> handed out, once its datagram has been processed.</summary>
    void ReturnBuffer(byte[] pooledBuffer);
}

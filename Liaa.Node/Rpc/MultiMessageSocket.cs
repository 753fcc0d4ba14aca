using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Liaa.Node.Rpc;

/// <summary>
/// Linux's <c>recvmmsg</c> and <c>sendmmsg</c> on one UDP socket: up to <see cref="Capacity"/> datagrams per system call
/// each way, for the RPC receive thread of <see cref="UdpDatagramTransport"/>. A receive waits for the first datagram
/// and takes whatever else is already queued (<c>MSG_WAITFORONE</c>), so one at a time it costs what <c>recvfrom</c>
/// does, and under load one system call (and one wake-up) serves a whole burst. Sends are gathered by the receive
/// thread while it serves a burst and leave in one call before it waits again.
/// </summary>
/// <remarks>
/// <para>
/// Why (BENCHMARKS.md, "bench rpc"): on this 2-core VM, more than half of a round trip's CPU is the kernel's UDP path,
/// and a system call's entry and exit (with its paravirtualised interrupt toggling) is a large part of it.
/// </para>
/// <para>
/// Only on 64-bit Linux, where <c>struct mmsghdr</c> has the layout below; elsewhere <see cref="TryCreate"/> returns
/// null and the transport keeps its one-datagram-per-call path. Buffers are native memory of
/// <see cref="SlotSize"/> bytes a slot, so a maximum-size datagram always fits; the pages are only touched (made
/// resident) as far as the datagrams reach, so the small datagrams of RPC traffic keep a few pages resident.
/// Not thread-safe: the one receive thread owns it, and frees it when it ends (never while a receive is in the kernel).
/// </para>
/// </remarks>
internal sealed unsafe partial class MultiMessageSocket : IDisposable
{
    /// <summary>Datagrams per system call, each way.</summary>
    public const int Capacity = 16;

    /// <summary>The largest UDP payload and one byte more, so a longer (truncated) one shows as oversized.</summary>
    public const int SlotSize = 65_508;

    // Room for a sockaddr_in6 (28 bytes), rounded up.
    private const int NameSize = 32;

    private const int MessageWaitForOne = 0x10000;
    private const int MessageTruncated = 0x20;

    private const int ErrorInterrupted = 4;
    private const int ErrorBadDescriptor = 9;
    private const int ErrorAgain = 11;
    private const int ErrorNetworkUnreachable = 101;
    private const int ErrorConnectionReset = 104;
    private const int ErrorConnectionRefused = 111;
    private const int ErrorHostUnreachable = 113;

    private readonly SafeHandle _socket;
    private readonly Direction _receive;
    private readonly Direction _send;
    private int _received;
    private int _next;
    private int _queued;
    private bool _disposed;

    private MultiMessageSocket(SafeHandle socket)
    {
        _socket = socket;
        _receive = new Direction();
        _send = new Direction();
    }

    /// <summary>Datagrams received by the last <see cref="Receive"/> and not yet taken.</summary>
    public int Pending => _received - _next;

    /// <summary>Sends gathered and not yet flushed.</summary>
    public int Queued => _queued;

    /// <summary>The batching socket on 64-bit Linux, or null where <c>recvmmsg</c> is not there (the caller keeps its plain path).</summary>
    public static MultiMessageSocket? TryCreate(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || sizeof(MultiMessageHeader) != 64)
        {
            return null;
        }

        try
        {
            // Resolves both entry points now (a zero-length batch does nothing), so a missing one falls back here.
            var batching = new MultiMessageSocket(socket.SafeHandle);
            _ = SendMultiple(socket.SafeHandle, batching._send.Messages, 0, 0);
            _ = ReceiveMultiple(socket.SafeHandle, batching._receive.Messages, 0, 0x40, null);
            return batching;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits (up to the socket's receive timeout) for at least one datagram and receives every one already queued, up to
    /// <see cref="Capacity"/>; false when the wait ended empty-handed (timeout, signal) or only ICMP noise came.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    /// <exception cref="SocketException">The socket failed.</exception>
    public bool Receive()
    {
        _received = 0;
        _next = 0;
        var messages = _receive.Messages;
        for (var i = 0; i < Capacity; i++)
        {
            // The kernel writes the source's length and the flags back: reset them for every call.
            messages[i].Header.NameLength = NameSize;
            messages[i].Header.Flags = 0;
        }

        var count = ReceiveMultiple(_socket, messages, Capacity, MessageWaitForOne, null);
        if (count > 0)
        {
            _received = count;
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        return error switch
        {
            ErrorAgain or ErrorInterrupted => false,

            // An ICMP error about an earlier send, reported on this call: the queue is still there.
            ErrorConnectionRefused or ErrorConnectionReset or ErrorHostUnreachable or ErrorNetworkUnreachable => false,
            ErrorBadDescriptor => throw new ObjectDisposedException(nameof(Socket)),
            _ => throw new SocketException(ToSocketError(error)),
        };
    }

    /// <summary>
    /// Copies the next received datagram into <paramref name="buffer"/> and its source address (native sockaddr) into
    /// <paramref name="address"/>; returns the datagram's length (<see cref="SlotSize"/> when it was truncated).
    /// </summary>
    public int Take(Span<byte> buffer, SocketAddress address)
    {
        var message = _receive.Messages[_next];
        var length = (message.Header.Flags & MessageTruncated) != 0 ? SlotSize : (int)message.Length;
        new ReadOnlySpan<byte>(_receive.Data + ((long)_next * SlotSize), Math.Min(length, buffer.Length)).CopyTo(buffer);
        var nameLength = Math.Min((int)Math.Min(message.Header.NameLength, NameSize), address.Buffer.Length);
        new ReadOnlySpan<byte>(_receive.Names + (_next * NameSize), nameLength).CopyTo(address.Buffer.Span);
        address.Size = nameLength;
        _next++;
        return length;
    }

    /// <summary>Gathers a datagram to send with the next <see cref="Flush"/>; false when the batch is full (flush first).</summary>
    public bool TryQueue(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (_queued == Capacity || datagram.Length > SlotSize || destination.Size > NameSize)
        {
            return false;
        }

        datagram.CopyTo(new Span<byte>(_send.Data + ((long)_queued * SlotSize), SlotSize));
        destination.Buffer.Span[..destination.Size].CopyTo(new Span<byte>(_send.Names + (_queued * NameSize), NameSize));
        ref var message = ref _send.Messages[_queued];
        message.Header.NameLength = (uint)destination.Size;
        message.Header.Flags = 0;
        message.Length = 0;
        _send.Vectors[_queued].Length = (nuint)datagram.Length;
        _queued++;
        return true;
    }

    /// <summary>
    /// Sends every gathered datagram, in as few system calls as the kernel takes them. A datagram the kernel refuses is
    /// passed to <paramref name="failed"/> with the error and skipped (UDP: it is lost, as if the network dropped it);
    /// an ICMP error about an earlier send is retried once, as <see cref="UdpDatagramTransport.Send"/> does.
    /// </summary>
    public void Flush(Action<SocketException>? failed)
    {
        var sent = 0;
        var retried = false;
        try
        {
            while (sent < _queued)
            {
                var count = SendMultiple(_socket, _send.Messages + sent, (uint)(_queued - sent), 0);
                if (count > 0)
                {
                    sent += count;
                    retried = false;
                    continue;
                }

                var error = Marshal.GetLastPInvokeError();
                if (error == ErrorBadDescriptor)
                {
                    return;
                }

                if (error == ErrorInterrupted || (!retried && error is ErrorConnectionRefused or ErrorConnectionReset or ErrorHostUnreachable or ErrorNetworkUnreachable))
                {
                    retried = error != ErrorInterrupted;
                    continue;
                }

                failed?.Invoke(new SocketException(ToSocketError(error)));
                sent++;
                retried = false;
            }
        }
        catch (ObjectDisposedException)
        {
            // The socket closed under the batch: nothing more leaves it.
        }
        finally
        {
            _queued = 0;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _receive.Free();
        _send.Free();
    }

    private static int ToSocketError(int errno) => errno switch
    {
        ErrorConnectionRefused => (int)SocketError.ConnectionRefused,
        ErrorConnectionReset => (int)SocketError.ConnectionReset,
        ErrorHostUnreachable => (int)SocketError.HostUnreachable,
        ErrorNetworkUnreachable => (int)SocketError.NetworkUnreachable,
        105 => (int)SocketError.NoBufferSpaceAvailable,
        90 => (int)SocketError.MessageSize,
        13 => (int)SocketError.AccessDenied,
        _ => (int)SocketError.SocketError,
    };

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int ReceiveMultiple(SafeHandle socket, MultiMessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMultiple(SafeHandle socket, MultiMessageHeader* messages, uint count, int flags);

    // struct iovec, struct msghdr and struct mmsghdr of 64-bit Linux (x64 and arm64 alike).
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MultiMessageHeader
    {
        public MessageHeader Header;
        public uint Length;
    }

    /// <summary>One direction's native buffers: message headers, one vector, one address and one data slot per datagram.</summary>
    private sealed class Direction
    {
        public Direction()
        {
            Messages = (MultiMessageHeader*)NativeMemory.AllocZeroed(Capacity, (nuint)sizeof(MultiMessageHeader));
            Vectors = (IoVector*)NativeMemory.AllocZeroed(Capacity, (nuint)sizeof(IoVector));
            Names = (byte*)NativeMemory.AllocZeroed(Capacity, NameSize);

            // Not zeroed: a large allocation is mapped on demand, and only the bytes datagrams reach become resident.
            Data = (byte*)NativeMemory.Alloc(Capacity, SlotSize);
            for (var i = 0; i < Capacity; i++)
            {
                Vectors[i].Base = Data + ((long)i * SlotSize);
                Vectors[i].Length = SlotSize;
                Messages[i].Header.Name = Names + (i * NameSize);
                Messages[i].Header.NameLength = NameSize;
                Messages[i].Header.Vectors = Vectors + i;
                Messages[i].Header.VectorCount = 1;
            }
        }

        public MultiMessageHeader* Messages { get; private set; }

        public IoVector* Vectors { get; private set; }

        public byte* Names { get; private set; }

        public byte* Data { get; private set; }

        public void Free()
        {
            NativeMemory.Free(Messages);
            NativeMemory.Free(Vectors);
            NativeMemory.Free(Names);
            NativeMemory.Free(Data);
            Messages = null;
            Vectors = null;
            Names = null;
            Data = null;
        }
    }
}

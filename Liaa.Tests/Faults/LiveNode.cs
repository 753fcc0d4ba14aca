using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Liaa.Node.Kademlia;
using Liaa.Tests.Integration;
using Liaa.Tests.Rpc;

namespace Liaa.Tests.Faults;

/// <summary>
/// A <c>serve</c> process as a fault test sees it: its UDP endpoint, its HTTP API, its <c>/metrics</c> counters
/// and what Linux says about it (resident memory, datagrams the kernel dropped at its socket).
/// </summary>
internal sealed partial class LiveNode : IAsyncDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private LiveNode(NodeProcess process, NodeId id, IPEndPoint udp, Uri http)
    {
        Process = process;
        Id = id;
        Udp = udp;
        HttpUrl = http;
    }

    public NodeProcess Process { get; }

    public NodeId Id { get; }

    public IPEndPoint Udp { get; }

    public Uri HttpUrl { get; }

    /// <summary>Starts <c>serve</c> on 127.0.0.1 (free UDP and HTTP ports) with extra arguments and environment, and waits for its start line.</summary>
    public static async Task<LiveNode> StartAsync(IReadOnlyDictionary<string, string>? environment = null, params string[] arguments)
    {
        var process = NodeProcess.Start(
            environment ?? new Dictionary<string, string>(),
            ["serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", .. arguments]);
        try
        {
            var (id, port, http) = await process.WaitForServeAsync();
            return new LiveNode(process, NodeId.Parse(id), new IPEndPoint(IPAddress.Loopback, port), new Uri(http));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sum of every series of a counter on <c>/metrics</c> whose labels contain <paramref name="labelFilter"/>.</summary>
    public async Task<long> CounterAsync(string name, string? labelFilter = null)
    {
        var text = await Http.GetStringAsync(new Uri(HttpUrl, "/metrics"), TestContext.Current.CancellationToken);
        long total = 0;
        foreach (Match match in Series().Matches(text))
        {
            if (match.Groups["name"].Value == name && (labelFilter is null || match.Groups["labels"].Value.Contains(labelFilter, StringComparison.Ordinal)))
            {
                total += (long)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    /// <summary>Resident memory of the process in bytes (<c>VmRSS</c> of <c>/proc/PID/status</c>).</summary>
    public long ResidentBytes()
    {
        var line = File.ReadAllLines($"/proc/{Process.Pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Datagrams the kernel dropped at the node's UDP socket (receive buffer full): the <c>drops</c> column of <c>/proc/net/udp</c>.</summary>
    public long KernelDrops()
    {
        var local = $"0100007F:{Udp.Port:X4}";
        var socket = File.ReadAllLines("/proc/net/udp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Single(f => f[1] == local);
        return long.Parse(socket[^1], CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex Series();
}

/// <summary>A UDP socket on 127.0.0.1 that speaks rpcudp by hand: sends raw datagrams, and pings a node and waits for its answer.</summary>
internal sealed class RawPeer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly byte[] _buffer = new byte[70_000];
    private int _pings;

    public RawPeer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public NodeId Id { get; } = NodeId.Random(new Random(17));

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to) => _socket.SendTo(datagram, SocketFlags.None, to);

    /// <summary>
    /// Pings <paramref name="node"/> with a fresh message id and waits (at most <paramref name="timeout"/>) for the
    /// answer with that id, skipping anything else the node sends meanwhile. True when it came with the node's id.
    /// </summary>
    public async Task<bool> PingAsync(IPEndPoint node, NodeId expected, TimeSpan timeout)
    {
        var messageId = new byte[20];
        BitConverter.TryWriteBytes(messageId, ++_pings);
        messageId[19] = 0x7f;
        Send(HandBuilt.Ping(messageId, Id), node);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                var reply = _buffer.AsSpan(0, received.ReceivedBytes);
                if (reply.Length > 21 && reply[0] == 0x01 && reply.Slice(1, 20).SequenceEqual(messageId))
                {
                    return reply.SequenceEqual(HandBuilt.PingResponse(messageId, expected));
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Datagrams waiting in the socket right now, read without blocking; counted and discarded.</summary>
    public int Drain()
    {
        var count = 0;
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (_socket.Available > 0)
        {
            _socket.ReceiveFrom(_buffer, ref any);
            count++;
        }

        return count;
    }

    public void Dispose() => _socket.Dispose();
}

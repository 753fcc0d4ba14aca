using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

/// <summary>Answers every RPC as a well-behaved node would, unless a test overrides it; records what it was asked.</summary>
internal sealed class TestHandler(NodeId id) : IRpcHandler
{
    public NodeId Id { get; } = id;

    public IReadOnlyList<Contact> Contacts { get; init; } = [];

    public Func<RpcRequest, RpcRequestContext, CancellationToken, ValueTask<RpcResponse?>>? Override { get; set; }

    public ConcurrentQueue<(RpcRequest Request, RpcRequestContext Context)> Received { get; } = new();

    public ValueTask<RpcResponse?> HandleAsync(RpcRequest request, RpcRequestContext context, CancellationToken cancellationToken)
    {
        Received.Enqueue((request, context));
        if (Override is { } handle)
        {
            return handle(request, context, cancellationToken);
        }

        RpcResponse response = request switch
        {
            PingRequest => new PingResponse(Id),
            StoreRequest => new StoreResponse(true),
            FindNodeRequest => new FindNodeResponse(Contacts),
            FindValueRequest => FindValueResponse.Miss(Contacts),
            _ => new StunResponse(context.Remote),
        };
        return ValueTask.FromResult<RpcResponse?>(response);
    }
}

/// <summary>Turns the endpoint's observer calls into awaitable signals.</summary>
internal sealed class RecordingObserver : IRpcObserver
{
    private readonly Channel<DropReason> _drops = Channel.CreateUnbounded<DropReason>();
    private readonly Channel<RpcMethod> _served = Channel.CreateUnbounded<RpcMethod>();

    public ConcurrentQueue<(RpcMethod Method, RpcStatus Status, TimeSpan Elapsed, int ResponseBytes)> Completed { get; } = new();

    public void OnClientCompleted(RpcMethod method, RpcStatus status, TimeSpan elapsed, int responseBytes) =>
        Completed.Enqueue((method, status, elapsed, responseBytes));

    public void OnServerRequest(RpcMethod method) => _served.Writer.TryWrite(method);

    public void OnDropped(DropReason reason) => _drops.Writer.TryWrite(reason);

    public Task<DropReason> NextDropAsync() => _drops.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Bounded();

    public Task<RpcMethod> NextServedAsync() => _served.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Bounded();

    public bool HasDrops => _drops.Reader.Count > 0;
}

/// <summary>An in-memory network on a manual clock, with RPC endpoints and raw transports on it.</summary>
internal sealed class RpcTestNetwork : IAsyncDisposable
{
    private readonly List<RpcEndpoint> _endpoints = [];
    private readonly List<InMemoryDatagramTransport> _transports = [];

    public RpcTestNetwork(InMemoryNetworkOptions? options = null)
    {
        Network = new InMemoryNetwork(Time, new Random(1234), options);
    }

    public FakeTimeProvider Time { get; } = new();

    public InMemoryNetwork Network { get; }

    public RpcEndpoint AddEndpoint(IPEndPoint local, IRpcHandler handler, RpcOptions? options = null, IRpcObserver? observer = null)
    {
        var transport = Bind(local);
        var endpoint = new RpcEndpoint(transport, options ?? new RpcOptions(), Time) { Observer = observer };
        _endpoints.Add(endpoint);
        endpoint.Start(handler);
        return endpoint;
    }

    public InMemoryDatagramTransport Bind(IPEndPoint local)
    {
        var transport = Network.Bind(local);
        _transports.Add(transport);
        return transport;
    }

    public async ValueTask DisposeAsync()
    {
        // Endpoints first, all at once: each stop waits for its receive loop.
        await Task.WhenAll(_endpoints.Select(e => e.DisposeAsync().AsTask()));
        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }
    }
}

internal static class RpcTestExtensions
{
    private static readonly TimeSpan FailsafeBound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A failsafe against a hang in a broken build; never part of what a test asserts. Generous: on a loaded machine a
    /// test's thread-pool hops wait behind every other test's work in the process (20 s was once missed at load 46).
    /// </summary>
    public static Task<T> Bounded<T>(this Task<T> task) => task.WaitAsync(FailsafeBound, TestContext.Current.CancellationToken);

    public static Task Bounded(this Task task) => task.WaitAsync(FailsafeBound, TestContext.Current.CancellationToken);

    public static async Task<byte[]> ReceiveBytesAsync(this IDatagramTransport transport)
    {
        var buffer = new byte[70_000];
        var received = await transport.ReceiveAsync(buffer, TestContext.Current.CancellationToken).AsTask().Bounded();
        return buffer[..received.Length];
    }
}

/// <summary>Datagrams built by hand from WIRE.md, byte by byte, as a Python peer sends them.</summary>
internal static class HandBuilt
{
    public static byte[] Ping(ReadOnlySpan<byte> messageId, NodeId sender) =>
        [0x00, .. messageId, 0x92, 0xa4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0x91, 0xc4, 0x14, .. sender.ToByteArray()];

    public static byte[] PingResponse(ReadOnlySpan<byte> messageId, NodeId responder) =>
        [0x01, .. messageId, 0xc4, 0x14, .. responder.ToByteArray()];

    public static byte[] PythonId(byte seed) => [.. Enumerable.Range(0, MessageId.Length).Select(i => (byte)(seed + (i * 7)))];

    public static MessageId IdOf(byte[] datagram) => MessageId.Read(datagram.AsSpan(1));
}

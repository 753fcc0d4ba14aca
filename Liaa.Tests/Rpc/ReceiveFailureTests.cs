using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Rpc;

/// <summary>
/// A receive that fails is logged and the endpoint receives again; <see cref="RpcEndpoint.MaxConsecutiveReceiveFailures"/>
/// failures in a row end the receive loop (the transport is broken), and a datagram received between them starts the
/// count again. On both receive paths: the loop awaiting the transport and the thread blocking on it.
/// </summary>
public sealed class ReceiveFailureTests
{
    private const int Limit = RpcEndpoint.MaxConsecutiveReceiveFailures;
    private static readonly IPEndPoint Local = new(IPAddress.Parse("10.0.0.1"), 8468);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReceivesFailingEveryTime_EndTheLoop_AtTheLimit(bool blocking)
    {
        await using var transport = ScriptedTransport.Create(blocking, _ => Step.Fail);
        await using var endpoint = new RpcEndpoint(transport, new RpcOptions(), new FakeTimeProvider());
        endpoint.Start(new TestHandler(NodeId.FromKey("receive-failures")));

        await endpoint.ReceiveCompletion.Bounded();

        Assert.Equal(Limit, transport.Calls);
        Assert.False(endpoint.IsReceiving);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADatagramBetweenFailures_StartsTheCountAgain(bool blocking)
    {
        // One failure short of the limit, a datagram, as many failures again, then a receive that waits.
        await using var transport = ScriptedTransport.Create(blocking, call => call switch
        {
            < Limit => Step.Fail,
            Limit => Step.Deliver,
            < 2 * Limit => Step.Fail,
            _ => Step.Wait,
        });
        await using var endpoint = new RpcEndpoint(transport, new RpcOptions(), new FakeTimeProvider());
        endpoint.Start(new TestHandler(NodeId.FromKey("receive-failures")));

        // Whichever comes first: the script's end, or the loop's (which would be the failure).
        await Task.WhenAny(transport.Waiting, endpoint.ReceiveCompletion).Bounded();

        Assert.True(transport.Waiting.IsCompleted, "the receive loop ended before the script did");
        Assert.Equal(2 * Limit, transport.Calls);
        Assert.True(endpoint.IsReceiving);
    }

    private enum Step
    {
        Fail,
        Deliver,
        Wait,
    }

    /// <summary>A transport whose n-th receive (from 1) fails, delivers a one-byte datagram or waits until stopped, as its script says.</summary>
    private class ScriptedTransport(Func<int, Step> script) : IDatagramTransport
    {
        private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        /// <summary>Completes when a receive waits: the script has run to its end.</summary>
        public Task Waiting => _waiting.Task;

        public IPEndPoint LocalEndPoint => Local;

        public static ScriptedTransport Create(bool blocking, Func<int, Step> script) =>
            blocking ? new ScriptedBlockingTransport(script) : new ScriptedTransport(script);

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public virtual async ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (Next() == Step.Wait)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }

            buffer.Span[0] = 0xc0;
            return new ReceivedDatagram(1, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 8468));
        }

        public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

        /// <summary>The step of this receive; throws for <see cref="Step.Fail"/>, notes <see cref="Step.Wait"/>.</summary>
        protected Step Next()
        {
            var step = script(Interlocked.Increment(ref _calls));
            if (step == Step.Fail)
            {
                throw new IOException("the transport failed");
            }

            if (step == Step.Wait)
            {
                _waiting.TrySetResult();
            }

            return step;
        }
    }

    /// <summary>The same script, received on the endpoint's thread (as UDP's socket is): a waiting receive returns when woken.</summary>
    private sealed class ScriptedBlockingTransport(Func<int, Step> script) : ScriptedTransport(script), IBlockingDatagramSource
    {
        private readonly ManualResetEventSlim _woken = new();

        public Action<Exception>? GatheredSendFailed { private get; set; }

        public int Receive(Span<byte> buffer, out IPEndPoint? remote)
        {
            if (Next() == Step.Wait)
            {
                _woken.Wait();
                remote = null;
                return 0;
            }

            buffer[0] = 0xc0;
            remote = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 8468);
            return 1;
        }

        public void WakeReceiver() => _woken.Set();

        public void EndReceiving()
        {
        }

        public override ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The endpoint receives on its thread.");

        public override ValueTask DisposeAsync()
        {
            _woken.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

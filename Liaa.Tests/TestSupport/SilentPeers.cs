using Liaa.Node.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// Runs work on a manual clock whose only waits on time are calls to endpoints nobody is bound to on the in-memory
/// network (contacts that never answer): the clock jumps by the RPC timeout exactly when every call still pending
/// went to such an endpoint, so those time out and nothing else does. Nothing depends on how fast the machine is.
/// </summary>
/// <remarks>
/// <para>
/// Why it is exact: a call counts as pending from before it is sent until after its outcome is handled, and a
/// datagram to an unbound endpoint is counted (<see cref="InMemoryNetworkCounters.Unreachable"/>) when it is sent;
/// so while an answered call, or one to a live peer, is still in hand, the pending calls outnumber the silent ones
/// and the clock waits. Before each look the clock moves by one tick, and the jump goes to the timeout of a call sent
/// before that tick: a call to a live peer sent while the jump is being decided is due a tick later and survives it.
/// </para>
/// <para>
/// It assumes that a call to a silent endpoint ends only by timing out (its lookup or join is not cancelled), and that
/// every pending call has the timeout given here (or a shorter one).
/// </para>
/// </remarks>
internal static class SilentPeers
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    /// <summary>Starts <paramref name="start"/> and awaits it, timing out the calls to silent endpoints on <paramref name="time"/> as above.</summary>
    /// <param name="start">What to run (a join, a lookup); started here, after the network's count was read.</param>
    /// <param name="time">The manual clock of the node and its network.</param>
    /// <param name="timeout">The node's RPC timeout.</param>
    /// <param name="pendingCalls">The node's pending calls (<see cref="RpcEndpoint.PendingCallCount"/>).</param>
    /// <param name="network">The in-memory network: its unreachable count is the calls to silent endpoints.</param>
    public static async Task<T> RunAsync<T>(Func<Task<T>> start, FakeTimeProvider time, TimeSpan timeout, Func<int> pendingCalls, InMemoryNetwork network)
    {
        var timedOut = network.Counters.Unreachable;
        var work = start();
        var bound = Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        while (!work.IsCompleted)
        {
            var before = time.GetUtcNow();
            time.Advance(Tick);
            var silent = network.Counters.Unreachable;
            var pending = pendingCalls();
            if (pending > 0 && pending == silent - timedOut)
            {
                time.SetUtcNow(before + timeout);
                timedOut = silent;
                continue;
            }

            // A look at the counters again soon: they change on other threads, with nothing to await.
            if (await Task.WhenAny(work, Task.Delay(1, TestContext.Current.CancellationToken), bound) == bound)
            {
                throw new TimeoutException($"Still waiting: {pendingCalls()} calls pending, {network.Counters.Unreachable - timedOut} to silent endpoints.");
            }
        }

        return await work;
    }
}

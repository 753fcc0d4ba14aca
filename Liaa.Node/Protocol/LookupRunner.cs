using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Drives a <see cref="Lookup"/> state machine over the RPC layer: keeps α requests in flight at all
/// times (a silent node costs one slot for one timeout, never a whole round), feeds answers and
/// timeouts back, and records the lookup as one span that parents its RPC spans, with an event each
/// time the closest node got closer.
/// </summary>
/// <remarks>
/// Every answering node is observed into the routing table (an answer is a message from it); a
/// timeout counts one failure against it. Requests still in flight when the lookup has its answer
/// are not awaited: they complete at their timeout as tracked background work, and their outcome
/// still updates the routing table. A lookup never outlives <see cref="KademliaOptions.MaxLookupDuration"/>:
/// then its requests are cancelled and it returns what it has (<see cref="LookupResult.DeadlineExceeded"/>).
/// Only contacts that answered themselves reach the routing table: the contacts an answer lists feed the
/// lookup's shortlist only, so no node can fill our table with contacts that do not exist.
/// </remarks>
internal sealed class LookupRunner
{
    private readonly NodeId _self;
    private readonly RoutingTable _routing;
    private readonly RpcEndpoint _rpc;
    private readonly ContactTracker _contacts;
    private readonly BackgroundWork _background;
    private readonly KademliaOptions _options;
    private readonly TimeProvider _time;
    private readonly NodeMetrics _metrics;
    private readonly LookupHistory _history;

    /// <summary>
    /// Lookups of <paramref name="self"/>, seeded from <paramref name="routing"/>, sent by <paramref name="rpc"/>; answers and
    /// timeouts go to <paramref name="contacts"/>, requests outliving their lookup finish as <paramref name="background"/> work;
    /// each finished lookup is kept round by round in <paramref name="history"/>.
    /// </summary>
    public LookupRunner(
        NodeId self, RoutingTable routing, RpcEndpoint rpc, ContactTracker contacts, BackgroundWork background, KademliaOptions options, TimeProvider time, NodeMetrics metrics,
        LookupHistory history)
    {
        _history = history;
        _self = self;
        _routing = routing;
        _rpc = rpc;
        _contacts = contacts;
        _background = background;
        _options = options;
        _time = time;
        _metrics = metrics;
    }

    /// <summary>Whether refresh lookups end at convergence (<see cref="KademliaOptions.RefreshEndsAtConvergence"/>).</summary>
    public bool RefreshEndsAtConvergence => _options.RefreshEndsAtConvergence;

    /// <summary>Runs a lookup of <paramref name="target"/>; with <paramref name="endsAtConvergence"/>, a FIND_NODE ends at convergence (<see cref="Lookup.EndsAtConvergence"/>).</summary>
    public async Task<LookupResult> RunAsync(LookupKind kind, NodeId target, CancellationToken cancellationToken, bool endsAtConvergence = false)
    {
        var name = kind == LookupKind.FindValue ? "lookup FIND_VALUE" : "lookup FIND_NODE";
        using var activity = LiaaDiagnostics.ActivitySource.StartActivity(name, ActivityKind.Internal);
        activity?.SetTag("liaa.lookup.target", target.ToString());

        var started = _time.GetTimestamp();
        _routing.MarkLookup(target, _time.GetUtcNow());
        // A lookup ending at convergence hands its nearest candidates on as the nodes to store at and their spares:
        // it starts from 2k contacts of the table (only the k nearest are asked, as in any lookup).
        var initial = _routing.FindClosest(target, endsAtConvergence ? 2 * _options.K : _options.K, includeStale: false);
        var lookup = new Lookup(kind, _self, target, initial, _options) { EndsAtConvergence = endsAtConvergence };
        var record = _history.Begin(_self, kind, target, _time.GetUtcNow(), activity, initial);
        var inFlight = new List<(Task<RpcResult> Call, Contact To)>(_options.Alpha);

        // The deadline cancels the lookup's own requests and waits, never the caller's token.
        using var deadline = _options.MaxLookupDuration is { } max ? new CancellationTokenSource(max, _time) : null;
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked?.Token ?? cancellationToken;
        var deadlineExceeded = false;
        using var wakeUp = new WakeUp(_time, token);
        try
        {
            await DriveAsync(kind, target, lookup, inFlight, wakeUp, record, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
        {
            deadlineExceeded = true;
            _metrics.LookupDeadlineExceeded(kind);
        }
        finally
        {
            // The driver may have gone on from the thread that ended its last request (the receive loop, a stop or a
            // cancellation): neither the rest nor the caller's code runs there. One hop per lookup, not one per response.
            await Task.Yield();
        }

        foreach (var (task, contact) in inFlight)
        {
            FinishLate(task, contact, record);
        }

        var outcome = lookup.GetResult() with { DeadlineExceeded = deadlineExceeded };
        lookup.Release();
        if (record is not null)
        {
            record.Finish(outcome, _time.GetUtcNow());
            _history.Add(record);
        }

        _metrics.LookupCompleted(kind, _time.GetElapsedTime(started), outcome.Rounds, outcome.Value is not null);
        if (activity is not null)
        {
            Describe(activity, kind, outcome);
        }

        return outcome;
    }

    // The driver's continuation is short and never blocks (it reads a response, picks the next contacts and sends to
    // them without waiting): it runs on the thread that ended the call, the receive loop for a response, without a
    // thread-pool hop per response. RunAsync hops once before its caller goes on.
    private static readonly RpcCallOptions ContinueOnCompletingThread = new() { ContinuesOnCompletingThread = true };

    private async Task DriveAsync(
        LookupKind kind, NodeId target, Lookup lookup, List<(Task<RpcResult> Call, Contact To)> inFlight, WakeUp wakeUp, LookupRecording? record, CancellationToken cancellationToken)
    {
        // Every request of a lookup says the same: one request object for all of them.
        RpcRequest request = kind == LookupKind.FindValue ? new FindValueRequest(_self, target) : new FindNodeRequest(_self, target);
        while (true)
        {
            var step = lookup.Next(_time.GetUtcNow());
            if (step.Kind == LookupStepKind.Send)
            {
                record?.Sent(step.Contacts, lookup.IsFinalStep, _time.GetUtcNow());
                foreach (var contact in step.Contacts)
                {
                    var call = _rpc.SendAsync(contact.EndPoint, request, ContinueOnCompletingThread, cancellationToken);
                    inFlight.Add((call, contact));
                    wakeUp.WhenCompleted(call);
                }

                continue;
            }

            if (step.Kind == LookupStepKind.Finished || (inFlight.Count == 0 && step.WakeAt is null))
            {
                return;
            }

            if (!AnyCompleted(inFlight))
            {
                await WaitAsync(wakeUp, step.WakeAt).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            // In the order sent.
            for (var i = 0; i < inFlight.Count; i++)
            {
                var (call, from) = inFlight[i];
                if (!call.IsCompleted)
                {
                    continue;
                }

                // Removed before it is applied: a throw (the node stopping) leaves only requests still in flight.
                inFlight.RemoveAt(i);
                Apply(lookup, from, await call.ConfigureAwait(false), record, cancellationToken);
                i--;
            }
        }
    }

    private static bool AnyCompleted(List<(Task<RpcResult> Call, Contact To)> inFlight)
    {
        foreach (var (call, _) in inFlight)
        {
            if (call.IsCompleted)
            {
                return true;
            }
        }

        return false;
    }

    private void Apply(Lookup lookup, Contact from, RpcResult result, LookupRecording? record, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        record?.Completed(from, result, now);
        switch (result.Status)
        {
            case RpcStatus.Ok:
                _contacts.Observe(from);
                switch (result.Response)
                {
                    case FindValueResponse { Value: { } value } hit:
                        lookup.OnValue(from, value, hit.PublishedAt, now);
                        break;
                    case FindValueResponse miss:
                        lookup.OnResponse(from.Id, miss.Contacts, now);
                        break;
                    case FindNodeResponse nodes:
                        lookup.OnResponse(from.Id, nodes.Contacts, now);
                        break;
                    default:
                        lookup.OnFailure(from.Id, now);
                        break;
                }

                break;
            case RpcStatus.Timeout:
                _contacts.Failed(from);
                lookup.OnFailure(from.Id, now);
                break;
            case RpcStatus.Stopped or RpcStatus.Cancelled:
                cancellationToken.ThrowIfCancellationRequested();
                throw new OperationCanceledException("The node is stopping.");
            default:
                lookup.OnFailure(from.Id, now);
                break;
        }
    }

    /// <summary>Until a request completes (or the lookup is cancelled), or until <paramref name="wakeAt"/> when a slow request frees its slot.</summary>
    private ValueTask WaitAsync(WakeUp wakeUp, DateTimeOffset? wakeAt)
    {
        if (wakeAt is not { } wake)
        {
            wakeUp.Disarm();
            return wakeUp.WaitAsync();
        }

        var delay = wake - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return ValueTask.CompletedTask;
        }

        // A timer counts whole milliseconds, rounding down (Task.Delay did, and a wake-up 0.4 ms away came at once: the
        // lookup found nothing slow yet and came straight back here, spinning without a timer until the clock moved. A
        // real clock moves within the millisecond; the simulator's moves only once no thread is busy, so it never
        // did (issue 15: bench sim with latency and churn). Round up: wake at the threshold or just after it.
        wakeUp.Arm(TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds)));
        return wakeUp.WaitAsync();
    }

    private static void Describe(Activity activity, LookupKind kind, LookupResult outcome)
    {
        activity.SetTag("liaa.lookup.rounds", outcome.Rounds);
        activity.SetTag("liaa.lookup.contacted", outcome.NodesContacted);
        activity.SetTag("liaa.lookup.timeouts", outcome.Timeouts);
        activity.SetTag("liaa.lookup.closest_found", outcome.ClosestNodes.Count);
        if (outcome.DeadlineExceeded)
        {
            activity.SetTag("liaa.lookup.deadline_exceeded", true);
        }

        if (kind == LookupKind.FindValue)
        {
            activity.SetTag("liaa.lookup.found", outcome.Value is not null);
            activity.SetTag("liaa.lookup.values_distinct", outcome.DistinctValues);
            if (outcome is { FirstValueAt: { } first, FinishedAt: { } finished })
            {
                // On the node's clock (a simulation's virtual one): how long the lookup waited after its first value.
                activity.SetTag("liaa.lookup.after_first_value_ms", (finished - first).TotalMilliseconds);
            }
        }

        foreach (var progress in outcome.Progress)
        {
            activity.AddEvent(new ActivityEvent("closest improved", progress.At, new ActivityTagsCollection
            {
                ["liaa.lookup.closest_distance_bits"] = NodeId.BitLength - progress.ClosestDistance.LeadingZeroCount(),
                ["liaa.lookup.contacted"] = progress.NodesContacted,
            }));
        }
    }

    // Apart from RunAsync: a lambda there capturing its locals made the compiler allocate a closure for every lookup.
    private void FinishLate(Task<RpcResult> pending, Contact contact, LookupRecording? record) =>
        _background.Run(_ => FinishLateAsync(pending, contact, record));

    private async Task FinishLateAsync(Task<RpcResult> pending, Contact contact, LookupRecording? record)
    {
        var result = await pending.ConfigureAwait(false);
        record?.CompletedLate(contact, result, _time.GetUtcNow());
        if (result.Status == RpcStatus.Ok)
        {
            _contacts.Observe(contact);
        }
        else if (result.Status == RpcStatus.Timeout)
        {
            _contacts.Failed(contact);
        }
    }

    /// <summary>
    /// What a lookup's driver waits on: any of its requests completing, its slow-request timer, or its cancellation.
    /// One per lookup, reused for every wait (a <c>Task.WhenAny</c> over the requests, a timer task and a linked token
    /// source per wait were a tenth of what bench sim allocated). A signal that comes while the driver is not waiting
    /// is kept for its next wait; a spurious one only makes the driver look again.
    /// </summary>
    private sealed class WakeUp : IValueTaskSource, IDisposable
    {
        private readonly TimeProvider _time;
        private readonly Action _signal;
        private readonly Lock _gate = new();
        private readonly CancellationTokenRegistration _cancellation;
        private ManualResetValueTaskSourceCore<bool> _core;
        private ITimer? _timer;
        private bool _signalled;
        private bool _waiting;

        public WakeUp(TimeProvider time, CancellationToken cancellationToken)
        {
            _time = time;
            _signal = Signal;

            // Continuations run where the signal came from, as the awaited Task.WhenAny's did.
            _core.RunContinuationsAsynchronously = false;
            _cancellation = cancellationToken.UnsafeRegister(static s => ((WakeUp)s!).Signal(), this);
        }

        /// <summary>Signals when <paramref name="call"/> completes.</summary>
        public void WhenCompleted(Task<RpcResult> call)
        {
            if (call.IsCompleted)
            {
                Signal();
            }
            else
            {
                call.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_signal);
            }
        }

        /// <summary>Signals once <paramref name="delay"/> has passed (unless armed again or disarmed first).</summary>
        public void Arm(TimeSpan delay)
        {
            if (_timer is null)
            {
                // Created by the lookup's driver: it must not keep the driver's async-locals (its span) for good.
                _timer = UnflowedTimer.Create(_time, static s => ((WakeUp)s!).Signal(), this, delay, Timeout.InfiniteTimeSpan);
            }
            else
            {
                _timer.Change(delay, Timeout.InfiniteTimeSpan);
            }
        }

        public void Disarm() => _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        public ValueTask WaitAsync()
        {
            lock (_gate)
            {
                if (_signalled)
                {
                    _signalled = false;
                    return ValueTask.CompletedTask;
                }

                _core.Reset();
                _waiting = true;
                return new ValueTask(this, _core.Version);
            }
        }

        public void Dispose()
        {
            _cancellation.Dispose();
            _timer?.Dispose();
        }

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private void Signal()
        {
            lock (_gate)
            {
                if (!_waiting)
                {
                    _signalled = true;
                    return;
                }

                _waiting = false;
            }

            _core.SetResult(true);
        }
    }
}

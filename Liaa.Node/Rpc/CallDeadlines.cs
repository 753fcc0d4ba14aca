namespace Liaa.Node.Rpc;

/// <summary>
/// The timeouts of an endpoint's pending calls on one timer: the calls of each timeout length in a list in the order
/// they were sent (so in deadline order), the timer armed for the earliest head. Adding and removing a call are O(1)
/// under a short lock; the timer is re-armed only when a call's deadline comes before the armed one (a first call, a
/// shorter timeout), and otherwise when it fires.
/// </summary>
/// <remarks>
/// A timer per call cost a timer object and the runtime's timer-queue lock three times per call (create, arm, dispose):
/// ~2 % of an RPC round trip's CPU and 160 bytes at 80,000 calls a second (BENCHMARKS.md, "bench rpc"). Here the timer
/// fires about once per timeout length under steady traffic: each time its head has been answered long since, and it
/// is re-armed for the new head. Deadlines are in the clock's timestamps, so a manual clock that moves by exactly a
/// call's timeout ends it exactly then, as the per-call timer did; a timer that fires early re-arms for the rest.
/// </remarks>
internal sealed class CallDeadlines : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, CallList> _lists = [];
    private ITimer? _timer;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    public CallDeadlines(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Ends <paramref name="call"/> with <see cref="RpcStatus.Timeout"/> once <paramref name="timeout"/> has passed, unless it is removed first.</summary>
    public void Add(PendingCall call, TimeSpan timeout)
    {
        var length = ToTimestampUnits(timeout);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            call.Deadline = _time.GetTimestamp() + length;
            if (!_lists.TryGetValue(length, out var list))
            {
                list = new CallList();
                _lists[length] = list;
            }

            list.Append(call);
            if (call.Deadline < _armedFor)
            {
                Arm(call.Deadline);
            }
        }
    }

    /// <summary>Forgets <paramref name="call"/> (answered, cancelled, stopped or timed out): O(1).</summary>
    public void Remove(PendingCall call)
    {
        lock (_gate)
        {
            call.Deadlines?.Unlink(call);
        }
    }

    /// <summary>How many timeout lengths have calls waiting (an empty one is dropped when the timer next fires).</summary>
    internal int LengthsInUse
    {
        get
        {
            lock (_gate)
            {
                return _lists.Count;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private long ToTimestampUnits(TimeSpan timeout) =>
        (long)Math.Ceiling(timeout.Ticks * (double)_time.TimestampFrequency / TimeSpan.TicksPerSecond);

    // Under the lock.
    private void Arm(long deadline)
    {
        _armedFor = deadline;
        var wait = deadline - _time.GetTimestamp();
        var due = wait <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling(wait * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency));
        if (_timer is null)
        {
            // Created by whichever call comes first: it must not keep that caller's async-locals (its span) for good.
            _timer = UnflowedTimer.Create(_time, static s => ((CallDeadlines)s!).OnDue(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDue()
    {
        List<(PendingCall Call, long Generation)>? due = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            var next = long.MaxValue;
            foreach (var (length, list) in _lists)
            {
                while (list.Head is { } head && head.Deadline <= now)
                {
                    list.Unlink(head);

                    // Its generation now: once outside the lock the call may have ended and begun again.
                    (due ??= []).Add((head, head.Generation));
                }

                if (list.Head is { } waiting)
                {
                    next = Math.Min(next, waiting.Deadline);
                }
                else
                {
                    // An embedder's calls may each bring a timeout length of their own: a list left empty goes, so
                    // the table holds the lengths in use, not every one ever seen (removing while enumerating is allowed).
                    _lists.Remove(length);
                }
            }

            _armedFor = long.MaxValue;
            if (next != long.MaxValue)
            {
                Arm(next);
            }
        }

        // Outside the lock: completing a call queues its caller's continuation.
        if (due is not null)
        {
            foreach (var (call, generation) in due)
            {
                call.TryComplete(generation, RpcStatus.Timeout);
            }
        }
    }

    /// <summary>The calls of one timeout length, oldest (earliest deadline) first; links live in the calls.</summary>
    internal sealed class CallList
    {
        public PendingCall? Head { get; private set; }

        private PendingCall? _tail;

        public void Append(PendingCall call)
        {
            call.Deadlines = this;
            call.Previous = _tail;
            call.Next = null;
            if (_tail is null)
            {
                Head = call;
            }
            else
            {
                _tail.Next = call;
            }

            _tail = call;
        }

        public void Unlink(PendingCall call)
        {
            if (call.Previous is null)
            {
                Head = call.Next;
            }
            else
            {
                call.Previous.Next = call.Next;
            }

            if (call.Next is null)
            {
                _tail = call.Previous;
            }
            else
            {
                call.Next.Previous = call.Previous;
            }

            call.Previous = null;
            call.Next = null;
            call.Deadlines = null;
        }
    }
}

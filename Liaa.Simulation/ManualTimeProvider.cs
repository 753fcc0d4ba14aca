namespace Liaa.Node.Simulation;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock moves only when <see cref="Advance"/> or
/// <see cref="SetUtcNow"/> is called: timers, <c>Task.Delay(d, time)</c>, <c>PeriodicTimer</c> and
/// <c>CancellationTokenSource(delay, time)</c> fire in due order as time passes, on the caller of
/// <see cref="Advance"/>. The simulator's clock: unit tests use <c>FakeTimeProvider</c>
/// (Microsoft.Extensions.TimeProvider.Testing), which cannot serve here because it does not say when
/// the next timer is due (<see cref="NextDueAt"/>) or how many are armed (<see cref="ActiveTimerCount"/>):
/// <see cref="SimulatedNetwork"/> jumps the clock straight to the next due timer instead of stepping
/// through idle time, and this clock lives in Liaa.Node, which does not reference a testing package.
/// </summary>
/// <remarks>
/// Thread-safe. Callbacks run outside the lock, one at a time, in due-time order (ties in creation
/// order); a callback that changes a timer or creates one is seen by the same <see cref="Advance"/>.
/// Timestamps tick at 1 tick = 100 ns, so <see cref="TimeProvider.GetElapsedTime(long)"/> is exact.
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    // A set, not a list: every RPC creates and disposes a timer, and with 10,000 simulated nodes (each with
    // its maintenance timer) a list's linear Remove under the lock was a fifth of all CPU and serialized the
    // simulation. Firing order never depended on this collection's order (due time, then Sequence).
    private readonly HashSet<ManualTimer> _timers = [];

    // The armed timers by due time, then Sequence, so the next one is found in O(log n): with 100,000 nodes
    // and a datagram delay on every message, a scan of every timer per step was most of the simulation's CPU.
    // Entries are never updated in place: re-arming adds a new entry and bumps the timer's Version, so an
    // entry whose Version is old is skipped when it comes up (and dropped in a rebuild when they pile up).
    private PriorityQueue<(ManualTimer Timer, long Version), (long DueTicks, long Sequence)> _due = new();
    private int _armed;
    // The current time as UTC ticks: written under the lock, read without it (every RPC, rate-limit check and table
    // update reads the clock, and the lock was contended across the pool's threads).
    private long _nowTicks;
    private long _sequence;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public ManualTimeProvider(DateTimeOffset start)
    {
        _nowTicks = start.UtcTicks;
    }

    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _nowTicks), TimeSpan.Zero);

    private DateTimeOffset Now => new(_nowTicks, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Volatile.Read(ref _nowTicks);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Number of timers that are armed (due at some point), for tests that wait on work being scheduled.</summary>
    public int ActiveTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _armed;
            }
        }
    }

    /// <summary>Timers created and not disposed, armed or not, and entries in the due-time queue (diagnostics).</summary>
    public (int Timers, int QueueEntries) Counts
    {
        get
        {
            lock (_gate)
            {
                return (_timers.Count, _due.Count);
            }
        }
    }

    /// <summary>The earliest time a timer is due, if any.</summary>
    public DateTimeOffset? NextDueAt
    {
        get
        {
            lock (_gate)
            {
                return PeekLocked()?.DueAt;
            }
        }
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer due on the way, in order.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate)
        {
            target = Now + delta;
        }

        SetUtcNow(target);
    }

    /// <summary>Moves the clock to <paramref name="value"/> (never backwards), firing every timer due on the way, in order.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                if (value < Now)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), "Time never goes backwards.");
                }

                next = PeekLocked();
                if (next is null || next.DueAt > value)
                {
                    Volatile.Write(ref _nowTicks, value.UtcTicks);
                    return;
                }

                Volatile.Write(ref _nowTicks, next.DueAt!.Value.UtcTicks);
                ScheduleLocked(next, next.Period is { } period && period > TimeSpan.Zero ? Now + period : null);
            }

            next.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            timer.Sequence = _sequence++;
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    private void Arm(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            if (timer.IsDisposed)
            {
                return;
            }

            timer.Period = period == Timeout.InfiniteTimeSpan ? null : period;
            ScheduleLocked(timer, dueTime == Timeout.InfiniteTimeSpan ? null : Now + (dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime));
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            ScheduleLocked(timer, null);
            timer.IsDisposed = true;
            _timers.Remove(timer);
        }
    }

    /// <summary>Sets when <paramref name="timer"/> is next due (null: disarmed), keeping <see cref="_due"/> and <see cref="_armed"/> in step.</summary>
    private void ScheduleLocked(ManualTimer timer, DateTimeOffset? dueAt)
    {
        _armed += (dueAt is null ? 0 : 1) - (timer.DueAt is null ? 0 : 1);
        timer.DueAt = dueAt;
        timer.Version++;
        if (dueAt is { } due)
        {
            _due.Enqueue((timer, timer.Version), (due.UtcTicks, timer.Sequence));
        }

        // Stale entries of timers re-armed or disposed before they came due (every answered RPC leaves one)
        // would pile up while the clock stands still: rebuild once they outnumber the live ones.
        if (_due.Count > 4096 && _due.Count > 4 * _armed)
        {
            var rebuilt = new PriorityQueue<(ManualTimer Timer, long Version), (long DueTicks, long Sequence)>(_armed);
            foreach (var live in _timers)
            {
                if (live.DueAt is { } liveDue)
                {
                    rebuilt.Enqueue((live, live.Version), (liveDue.UtcTicks, live.Sequence));
                }
            }

            _due = rebuilt;
        }
    }

    /// <summary>The armed timer due first (ties: the one created first), dropping stale entries on the way.</summary>
    private ManualTimer? PeekLocked()
    {
        while (_due.TryPeek(out var entry, out _))
        {
            if (entry.Version == entry.Timer.Version && entry.Timer.DueAt is not null)
            {
                return entry.Timer;
            }

            _due.Dequeue();
        }

        return null;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; set; }

        public long Sequence { get; set; }

        /// <summary>Bumped on every change of <see cref="DueAt"/>: which queue entry is current.</summary>
        public long Version { get; set; }

        public bool IsDisposed { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (IsDisposed)
            {
                return false;
            }

            owner.Arm(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The console output of one resource (a node, Prometheus) across all its runs: a bounded ring of the
/// newest lines, plus live tailing through <see cref="LineAdded"/> or <see cref="FollowAsync"/>.
/// </summary>
/// <remarks>
/// Thread-safe: stdout and stderr are read on different threads. Sequence numbers are assigned under
/// the lock, so <see cref="FollowAsync"/> delivers lines in sequence order without gaps or repeats
/// (unless the follower falls more than <see cref="Capacity"/> lines behind, when the oldest undelivered
/// lines are dropped rather than letting memory grow). <see cref="LineAdded"/> is raised outside the
/// lock on the reading thread, so two handlers' calls for stdout and stderr may interleave.
/// </remarks>
public sealed class ConsoleLog
{
    private readonly Lock _gate = new();
    private readonly ConsoleLine?[] _ring;
    private readonly TimeProvider _timeProvider;
    private readonly List<Channel<ConsoleLine>> _followers = [];
    private long _lastSequence;

    public ConsoleLog(int capacity, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new ConsoleLine?[capacity];
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Raised for every appended line, after it is stored.</summary>
    public event EventHandler<ConsoleLine>? LineAdded;

    /// <summary>How many lines are kept, at most.</summary>
    public int Capacity => _ring.Length;

    /// <summary>The sequence number of the newest line, 0 when empty.</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>Every line still kept, oldest first.</summary>
    public IReadOnlyList<ConsoleLine> Snapshot() => After(0);

    /// <summary>The newest <paramref name="count"/> lines still kept, oldest first.</summary>
    public IReadOnlyList<ConsoleLine> Tail(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            return Collect(Math.Max(0, _lastSequence - count));
        }
    }

    /// <summary>The kept lines whose sequence is greater than <paramref name="sequence"/>, oldest first.</summary>
    public IReadOnlyList<ConsoleLine> After(long sequence)
    {
        lock (_gate)
        {
            return Collect(sequence);
        }
    }

    /// <summary>
    /// The kept lines after <paramref name="afterSequence"/>, then every new line as it arrives, until
    /// <paramref name="cancellationToken"/> is cancelled (which ends the enumeration without throwing).
    /// </summary>
    public async IAsyncEnumerable<ConsoleLine> FollowAsync(
        long afterSequence = 0,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<ConsoleLine>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        IReadOnlyList<ConsoleLine> backlog;
        lock (_gate)
        {
            backlog = Collect(afterSequence);
            _followers.Add(channel);
        }

        try
        {
            foreach (var line in backlog)
            {
                yield return line;
            }

            while (true)
            {
                ConsoleLine line;
                try
                {
                    line = await channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                yield return line;
            }
        }
        finally
        {
            lock (_gate)
            {
                _followers.Remove(channel);
            }
        }
    }

    /// <summary>Stores a line and notifies followers; returns it.</summary>
    public ConsoleLine Append(ConsoleStream stream, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ConsoleLine line;
        lock (_gate)
        {
            line = new ConsoleLine(++_lastSequence, _timeProvider.GetUtcNow(), stream, text);
            _ring[(int)((line.Sequence - 1) % _ring.Length)] = line;
            foreach (var follower in _followers)
            {
                follower.Writer.TryWrite(line);
            }
        }

        LineAdded?.Invoke(this, line);
        return line;
    }

    private List<ConsoleLine> Collect(long afterSequence)
    {
        var first = Math.Max(Math.Max(afterSequence, _lastSequence - _ring.Length), 0) + 1;
        var lines = new List<ConsoleLine>((int)Math.Max(0, _lastSequence - first + 1));
        for (var sequence = first; sequence <= _lastSequence; sequence++)
        {
            lines.Add(_ring[(int)((sequence - 1) % _ring.Length)]!);
        }

        return lines;
    }
}

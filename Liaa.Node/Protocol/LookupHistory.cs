using System.Diagnostics;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Protocol;

/// <summary>
/// The node's most recent lookups (<see cref="KademliaOptions.RecentLookups"/> of them), newest first, as
/// <see cref="LookupRecording"/>s: a ring that overwrites the oldest, so its memory is bounded whatever the
/// traffic. <see cref="LookupRunner"/> adds a lookup when it ends; the HTTP API reads them.
/// </summary>
/// <remarks>
/// A lookup costs one short lock here when it ends; reading copies the ring's references under the same
/// lock. With a capacity of 0 nothing is recorded (<see cref="Begin"/> answers null and the runner skips
/// every hook).
/// </remarks>
internal sealed class LookupHistory(int capacity)
{
    private readonly LookupRecording?[] _ring = new LookupRecording?[Math.Max(0, capacity)];
    private readonly Lock _lock = new();
    private int _next;

    public int Capacity => _ring.Length;

    /// <summary>A recording for a lookup starting now, or null when the history is off.</summary>
    public LookupRecording? Begin(NodeId self, LookupKind kind, NodeId target, DateTimeOffset now, Activity? activity, IReadOnlyList<Contact> initialContacts) =>
        _ring.Length == 0 ? null : new LookupRecording(self, kind, target, now, activity, initialContacts);

    /// <summary>Keeps a finished lookup, dropping the oldest when full.</summary>
    public void Add(LookupRecording recording)
    {
        lock (_lock)
        {
            _ring[_next] = recording;
            _next = (_next + 1) % _ring.Length;
        }
    }

    /// <summary>The recorded lookups, newest first.</summary>
    public IReadOnlyList<LookupRecording> Snapshot()
    {
        var recordings = new List<LookupRecording>(_ring.Length);
        lock (_lock)
        {
            for (var i = 1; i <= _ring.Length; i++)
            {
                if (_ring[(_next - i + _ring.Length) % _ring.Length] is { } recording)
                {
                    recordings.Add(recording);
                }
            }
        }

        return recordings;
    }
}

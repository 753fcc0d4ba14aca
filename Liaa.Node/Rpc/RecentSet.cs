using System.Numerics;

namespace Liaa.Node.Rpc;

/// <summary>
/// The last <c>capacity</c> distinct 64-bit digests added, oldest forgotten first: bounded memory for "seen
/// recently" questions (completed call ids, recent request ids, each kept as a keyed digest). Grows with use up to
/// its capacity, so an idle simulated node costs nothing; a capacity of 0 remembers nothing (every digest is new).
/// Thread-safe.
/// </summary>
/// <remarks>
/// An open-addressed table (linear probing, at most half full, deletion by shifting back, so no tombstones) beside a
/// ring of the digests in the order they came: an add touches one table slot and one ring slot, an eviction one table
/// slot, where a <see cref="HashSet{T}"/> and a <see cref="Queue{T}"/> touched a bucket and an entry each way. Every
/// request and every call passes here; at 80,000 a second the cache misses showed in the profile (BENCHMARKS.md,
/// "bench rpc"). The digest 0 marks an empty slot, so 0 is stored as 1 (one more collision in 2^64).
/// </remarks>
internal sealed class RecentSet(int capacity)
{
    /// <summary>The largest capacity: its table (twice as many slots, a power of two) still has an <c>int</c> length.</summary>
    public const int MaxCapacity = 1 << 29;

    private const int InitialRing = 16;

    private readonly int _capacity = capacity is >= 0 and <= MaxCapacity
        ? capacity
        : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"A capacity is from 0 to {MaxCapacity}.");

    private readonly Lock _gate = new();
    private ulong[] _ring = [];
    private ulong[] _table = [];
    private int _oldest;
    private int _count;

    /// <summary>Remembers <paramref name="item"/>; false when it is already remembered (never at capacity 0: nothing is).</summary>
    public bool TryAdd(ulong item)
    {
        if (_capacity == 0)
        {
            return true;
        }

        item = item == 0 ? 1 : item;
        lock (_gate)
        {
            if (_table.Length > 0 && IndexOf(item) >= 0)
            {
                return false;
            }

            if (_count == _capacity)
            {
                Remove(_ring[_oldest]);
                _ring[_oldest] = item;
                _oldest = _oldest + 1 == _ring.Length ? 0 : _oldest + 1;
            }
            else
            {
                if (_count == _ring.Length)
                {
                    Grow();
                }

                // Nothing was evicted yet, so the ring is filled in order from slot 0.
                _ring[_count++] = item;
            }

            Insert(item);
            return true;
        }
    }

    public bool Contains(ulong item)
    {
        item = item == 0 ? 1 : item;
        lock (_gate)
        {
            return _table.Length > 0 && IndexOf(item) >= 0;
        }
    }

    private int Home(ulong item) => (int)(item ^ (item >> 32)) & (_table.Length - 1);

    private int IndexOf(ulong item)
    {
        var mask = _table.Length - 1;
        for (var i = Home(item); ; i = (i + 1) & mask)
        {
            var slot = _table[i];
            if (slot == item)
            {
                return i;
            }

            if (slot == 0)
            {
                return -1;
            }
        }
    }

    private void Insert(ulong item)
    {
        var mask = _table.Length - 1;
        var i = Home(item);
        while (_table[i] != 0)
        {
            i = (i + 1) & mask;
        }

        _table[i] = item;
    }

    // Knuth's deletion for linear probing: later entries of the run that could sit in the freed slot move back into it.
    private void Remove(ulong item)
    {
        var mask = _table.Length - 1;
        var hole = IndexOf(item);
        _table[hole] = 0;
        var next = hole;
        while (true)
        {
            next = (next + 1) & mask;
            var moved = _table[next];
            if (moved == 0)
            {
                return;
            }

            // Its home is cyclically outside (hole, next]: it was pushed past the hole, so it moves into it.
            var home = Home(moved);
            var stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
            if (!stays)
            {
                _table[hole] = moved;
                _table[next] = 0;
                hole = next;
            }
        }
    }

    private void Grow()
    {
        var ring = new ulong[Math.Min(_capacity, Math.Max(InitialRing, _ring.Length * 2))];
        _ring.AsSpan(0, _count).CopyTo(ring);
        _ring = ring;

        // At most half full once the ring is.
        _table = new ulong[(int)BitOperations.RoundUpToPowerOf2((uint)ring.Length * 2)];
        for (var i = 0; i < _count; i++)
        {
            Insert(_ring[i]);
        }
    }
}

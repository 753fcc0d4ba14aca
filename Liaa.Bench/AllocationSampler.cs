using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Liaa.Node.Bench;

/// <summary>
/// Counts the runtime's allocation samples (<c>GCAllocationTick</c>: one event per ~100 KB allocated, naming the type
/// of the object that crossed the mark) by type, in this process: where a simulation's allocations go, without a
/// trace file or a tool (<c>bench sim --allocations</c>). A type's share of the samples is about its share of the bytes.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const EventKeywords ExceptionKeyword = (EventKeywords)0x8000;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private readonly ExceptionCounts _exceptions = new();
    private volatile bool _enabled;

    public AllocationSampler()
    {
        _enabled = true;
        foreach (var source in EventSource.GetSources())
        {
            EnableIfRuntime(source);
        }
    }

    /// <summary>The types with the most bytes sampled, and their share of all sampled bytes.</summary>
    public IReadOnlyList<(string Type, double Share)> Top(int count)
    {
        var total = Math.Max(1, _bytes.Values.Sum());
        return [.. _bytes.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, (double)p.Value / total))];
    }

    /// <summary>The exceptions thrown (first-chance, caught or not) by type and message, most frequent first.</summary>
    public IReadOnlyList<(string Exception, long Count)> TopExceptions(int count) => _exceptions.Top(count);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (_enabled)
        {
            EnableIfRuntime(eventSource);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        if (name.StartsWith("ExceptionThrown", StringComparison.Ordinal))
        {
            // ExceptionThrown_V1 names the exception; ExceptionThrownStop (its end, same prefix) names none and is not counted.
            if (eventData.PayloadNames.IndexOf("ExceptionType") is >= 0 and var t && eventData.Payload[t] is string thrown)
            {
                var message = eventData.PayloadNames.IndexOf("ExceptionMessage") is >= 0 and var m ? eventData.Payload[m] as string : null;
                _exceptions.Add(thrown, message);
            }

            return;
        }

        if (!name.StartsWith("GCAllocationTick", StringComparison.Ordinal))
        {
            return;
        }

        var type = "?";
        long amount = 0;
        for (var i = 0; i < eventData.PayloadNames.Count; i++)
        {
            switch (eventData.PayloadNames[i])
            {
                case "TypeName":
                    type = eventData.Payload[i] as string ?? "?";
                    break;
                case "AllocationAmount64":
                    amount = Convert.ToInt64(eventData.Payload[i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "AllocationAmount" when amount == 0:
                    amount = Convert.ToInt64(eventData.Payload[i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
        }

        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }

    private void EnableIfRuntime(EventSource source)
    {
        if (source.Name == RuntimeSource)
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword | ExceptionKeyword);
        }
    }
}

/// <summary>
/// Exceptions counted by type and message, at most about <see cref="MaxKeys"/> distinct ones: past that, a message not
/// seen yet counts as its type's "(other messages)" (messages that carry an address or an id would otherwise grow the
/// table with every throw, in the process whose allocations are being measured).
/// </summary>
internal sealed class ExceptionCounts
{
    public const int MaxKeys = 1000;

    private readonly ConcurrentDictionary<string, long> _counts = new();
    private int _keys;

    public void Add(string type, string? message)
    {
        var key = message is null ? type : $"{type}: {message}";
        if (!_counts.ContainsKey(key) && Volatile.Read(ref _keys) >= MaxKeys)
        {
            key = $"{type}: (other messages)";
        }

        if (_counts.TryAdd(key, 1))
        {
            Interlocked.Increment(ref _keys);
            return;
        }

        _counts.AddOrUpdate(key, 1, static (_, sum) => sum + 1);
    }

    /// <summary>The most frequent, most first.</summary>
    public IReadOnlyList<(string Exception, long Count)> Top(int count) =>
        [.. _counts.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value))];
}

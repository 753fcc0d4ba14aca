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
    private readonly ConcurrentDictionary<string, long> _exceptions = new();
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
    public IReadOnlyList<(string Exception, long Count)> TopExceptions(int count) =>
        [.. _exceptions.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value))];

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
            var what = string.Join(": ", eventData.PayloadNames.Select((n, i) => (n, i)).Where(p => p.n is "ExceptionType" or "ExceptionMessage").Select(p => eventData.Payload[p.i] as string));
            _exceptions.AddOrUpdate(what, 1, (_, sum) => sum + 1);
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

using System.Collections.Concurrent;
using System.Diagnostics;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Bench;

/// <summary>What one lookup span said when it ended.</summary>
/// <param name="Name">The span's name (<c>lookup FIND_NODE</c> or <c>lookup FIND_VALUE</c>).</param>
/// <param name="Target">The id or key looked up.</param>
/// <param name="Rounds">Hop depth of the deepest answer.</param>
/// <param name="Contacted">Requests sent.</param>
/// <param name="Timeouts">Requests that failed.</param>
/// <param name="Found">FIND_VALUE: whether a value was found.</param>
/// <param name="AfterFirstValueMs">FIND_VALUE with a value: virtual ms the lookup went on after its first value arrived.</param>
internal readonly record struct LookupRecord(string Name, string? Target, int Rounds, int Contacted, int Timeouts, bool? Found, double? AfterFirstValueMs = null);

/// <summary>
/// Reads every lookup's figures (rounds, nodes contacted, timeouts, found) from its span, as any
/// OpenTelemetry exporter would: an <see cref="ActivityListener"/> on the <c>Liaa.Node</c> source that
/// samples only <c>lookup …</c> spans, on the source only while <see cref="IsRecording"/>. RPC spans are not
/// sampled, so a 10,000-node simulation pays for one span per lookup, not one per message.
/// </summary>
internal sealed class LookupRecorder : IDisposable
{
    private readonly ConcurrentQueue<LookupRecord> _records = new();
    private readonly Lock _gate = new();
    private ActivityListener? _listener;

    /// <summary>
    /// Whether lookup spans are being recorded. The listener is on the source only meanwhile: a source with a listener
    /// has every RPC build its span's tags before the listener declines it (the peer's id as text, for each of the
    /// millions of requests a large network's build sends), so the build runs as a node without tracing does.
    /// </summary>
    public bool IsRecording
    {
        get => Volatile.Read(ref _listener) is not null;
        set
        {
            lock (_gate)
            {
                if (value && _listener is null)
                {
                    var listener = new ActivityListener
                    {
                        ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
                        Sample = static (ref ActivityCreationOptions<ActivityContext> options) =>
                            options.Name.StartsWith("lookup ", StringComparison.Ordinal)
                                ? ActivitySamplingResult.AllDataAndRecorded
                                : ActivitySamplingResult.None,
                        ActivityStopped = OnStopped,
                    };
                    ActivitySource.AddActivityListener(listener);
                    Volatile.Write(ref _listener, listener);
                }
                else if (!value && _listener is { } listener)
                {
                    Volatile.Write(ref _listener, null);
                    listener.Dispose();
                }
            }
        }
    }

    /// <summary>Takes the records collected so far, leaving none.</summary>
    public List<LookupRecord> Drain()
    {
        var drained = new List<LookupRecord>();
        while (_records.TryDequeue(out var record))
        {
            drained.Add(record);
        }

        return drained;
    }

    private void OnStopped(Activity activity)
    {
        if (!activity.OperationName.StartsWith("lookup ", StringComparison.Ordinal))
        {
            return;
        }

        _records.Enqueue(new LookupRecord(
            activity.OperationName,
            activity.GetTagItem("liaa.lookup.target") as string,
            activity.GetTagItem("liaa.lookup.rounds") is int rounds ? rounds : 0,
            activity.GetTagItem("liaa.lookup.contacted") is int contacted ? contacted : 0,
            activity.GetTagItem("liaa.lookup.timeouts") is int timeouts ? timeouts : 0,
            activity.GetTagItem("liaa.lookup.found") as bool?,
            activity.GetTagItem("liaa.lookup.after_first_value_ms") as double?));
    }

    public void Dispose() => IsRecording = false;
}

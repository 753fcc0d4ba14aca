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
/// samples only <c>lookup …</c> spans and only while <see cref="IsRecording"/>. RPC spans are not
/// sampled, so a 10,000-node simulation pays for one span per lookup, not one per message.
/// </summary>
internal sealed class LookupRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<LookupRecord> _records = new();
    private volatile bool _recording;

    public LookupRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LiaaDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                _recording && options.Name.StartsWith("lookup ", StringComparison.Ordinal)
                    ? ActivitySamplingResult.AllDataAndRecorded
                    : ActivitySamplingResult.None,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public bool IsRecording
    {
        get => _recording;
        set => _recording = value;
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

    public void Dispose() => _listener.Dispose();
}

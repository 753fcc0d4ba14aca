using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// Keeps the warnings and errors the OpenTelemetry SDK and its exporters report through their event sources (a failed
/// export, a dropped span, a metric stream refused), so a test that waits for telemetry can say why none came. The
/// listener is process-wide: what other tests' providers report is kept too, each line naming its source.
/// </summary>
internal sealed class OpenTelemetryErrorListener : EventListener
{
    private const int Kept = 50;
    private readonly ConcurrentQueue<string> _events = new();

    /// <summary>The latest warnings and errors, oldest first, one line each.</summary>
    public IReadOnlyList<string> Events => [.. _events];

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name.StartsWith("OpenTelemetry", StringComparison.Ordinal))
        {
            EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var payload = eventData.Payload is { Count: > 0 } values ? string.Join(" | ", values) : "";
        var message = eventData.Message is { Length: > 0 } format && eventData.Payload is { } args
            ? TryFormat(format, args) ?? payload
            : payload;
        _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {eventData.EventSource.Name} {eventData.Level} {eventData.EventName}: {message}");
        while (_events.Count > Kept)
        {
            _events.TryDequeue(out _);
        }
    }

    private static string? TryFormat(string format, IReadOnlyList<object?> args)
    {
        try
        {
            return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, [.. args]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

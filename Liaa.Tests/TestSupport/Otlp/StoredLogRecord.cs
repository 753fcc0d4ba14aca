using Microsoft.Extensions.Logging;
namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// A log record as the receiver keeps it. <see cref="ScopeName"/> is the logger category for .NET
/// exporters; <see cref="TraceId"/>/<see cref="SpanId"/> are the activity current when it was written.
/// </summary>
internal sealed record StoredLogRecord(
    TelemetryResource Resource,
    string ScopeName,
    DateTimeOffset Timestamp,
    int SeverityNumber,
    string? SeverityText,
    string? Body,
    string? EventName,
    IReadOnlyDictionary<string, object?> Attributes,
    string? TraceId,
    string? SpanId)
{
    public ServiceKey Service => Resource.Service;

    /// <summary>The OTLP severity number (1–24) folded back onto .NET's levels.</summary>
    public LogLevel Level => SeverityNumber switch
    {
        <= 0 => LogLevel.None,
        <= 4 => LogLevel.Trace,
        <= 8 => LogLevel.Debug,
        <= 12 => LogLevel.Information,
        <= 16 => LogLevel.Warning,
        <= 20 => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}

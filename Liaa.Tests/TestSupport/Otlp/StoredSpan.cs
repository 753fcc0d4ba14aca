using System.Diagnostics;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// A span as the receiver keeps it. Ids are lowercase hex (as <see cref="ActivityTraceId.ToHexString"/>
/// writes them); <see cref="ParentSpanId"/> is <c>null</c> for a root span.
/// </summary>
internal sealed record StoredSpan(
    TelemetryResource Resource,
    string ScopeName,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    ActivityKind Kind,
    DateTimeOffset StartTime,
    DateTimeOffset EndTime,
    ActivityStatusCode StatusCode,
    string? StatusMessage,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<StoredSpanEvent> Events,
    IReadOnlyList<StoredSpanLink> Links)
{
    public ServiceKey Service => Resource.Service;

    public TimeSpan Duration => EndTime - StartTime;
}

internal sealed record StoredSpanEvent(string Name, DateTimeOffset Time, IReadOnlyDictionary<string, object?> Attributes);

internal sealed record StoredSpanLink(string TraceId, string SpanId, IReadOnlyDictionary<string, object?> Attributes);

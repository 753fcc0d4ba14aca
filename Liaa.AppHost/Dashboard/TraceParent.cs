using System.Diagnostics;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// W3C <c>traceparent</c> values the dashboard sends to nodes. A sampled one makes the node's HTTP
/// server span (and everything below it: the lookup, the RPCs, the spans on the peers) part of a
/// trace whose id the dashboard chose, so "Try it" can link straight to it.
/// </summary>
internal static class TraceParent
{
    public static (string Header, ActivityTraceId TraceId, ActivitySpanId SpanId) NewSampled()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spanId = ActivitySpanId.CreateRandom();
        return ($"00-{traceId.ToHexString()}-{spanId.ToHexString()}-01", traceId, spanId);
    }

    public static string NewUnsampled() =>
        $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00";
}

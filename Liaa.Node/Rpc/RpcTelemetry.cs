using System.Diagnostics;
using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Names and spans of the RPC layer, after the OpenTelemetry RPC semantic conventions: a client span
/// per call and a server span per served request, named <c>kademlia/{METHOD}</c>.
/// </summary>
public static class RpcTelemetry
{
    public const string RpcSystemTag = "rpc.system";
    public const string RpcMethodTag = "rpc.method";
    public const string ServerAddressTag = "server.address";
    public const string ServerPortTag = "server.port";
    public const string ClientAddressTag = "client.address";
    public const string ClientPortTag = "client.port";
    public const string NetworkTransportTag = "network.transport";
    public const string PeerIdTag = "liaa.peer.id";
    public const string OutcomeTag = "liaa.rpc.outcome";
    public const string ResponseSizeTag = "liaa.rpc.response.size";

    private static readonly string[] MethodNames = ["PING", "STORE", "FIND_NODE", "FIND_VALUE", "STUN"];
    private static readonly string[] SpanNames = [.. MethodNames.Select(m => $"{LiaaDiagnostics.RpcSystem}/{m}")];
    private static readonly string[] Outcomes = ["ok", "timeout", "stopped", "cancelled", "error"];

    /// <summary>The <c>rpc.method</c> value of <paramref name="method"/>: <c>PING</c>, <c>FIND_NODE</c>, …</summary>
    public static string MethodName(RpcMethod method) =>
        (uint)method < (uint)MethodNames.Length ? MethodNames[(int)method] : method.ToString();

    /// <summary>The <c>liaa.rpc.outcome</c> value of <paramref name="status"/>: <c>ok</c>, <c>timeout</c>, …</summary>
    public static string OutcomeName(RpcStatus status) =>
        (uint)status < (uint)Outcomes.Length ? Outcomes[(int)status] : "error";

    internal static string SpanName(RpcMethod method) =>
        (uint)method < (uint)SpanNames.Length ? SpanNames[(int)method] : $"{LiaaDiagnostics.RpcSystem}/{method}";

    /// <summary>
    /// The client span of a call, with the tags known before it is sent (all cached: constant names,
    /// peer text from <see cref="TagText"/>, boxed numbers shared; given to the span as it starts,
    /// <see cref="SpanStartTags"/>); null when nobody listens or samples it. Its parent is the current span, if any.
    /// </summary>
    internal static Activity? StartClient(RpcMethod method, IPEndPoint remote, NodeId? peerId)
    {
        var source = LiaaDiagnostics.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }

        // The constant rpc.system and network.transport stay span attributes: as the source's own tags OTLP would
        // export them as scope attributes, which the Aspire dashboard's span view does not show (name and version only).
        var tags = SpanStartTags.Rent();
        tags.Add(RpcSystemTag, LiaaDiagnostics.RpcSystem);
        tags.Add(RpcMethodTag, MethodName(method));
        tags.Add(ServerAddressTag, TagText.Of(remote.Address));
        tags.Add(ServerPortTag, TagText.Boxed(remote.Port));
        tags.Add(NetworkTransportTag, "udp");
        if (peerId is { } id)
        {
            tags.Add(PeerIdTag, TagText.Of(id));
        }

        // The default parent context: the current span is the parent, as with no context at all.
        var activity = source.StartActivity(SpanName(method), ActivityKind.Client, parentContext: default, tags);
        tags.Return();
        return activity;
    }

    /// <summary>
    /// Tags the client span with the call's outcome (and the response's size, when one came) and ends it when the
    /// call ended: its start plus the call's <see cref="RpcResult.Elapsed"/> (what the client duration metric
    /// records), so stopping it reads no clock.
    /// A call that took no time on the endpoint's clock (one that never went out, a manual clock not advanced)
    /// leaves the end to <c>Activity.Stop</c>.
    /// </summary>
    /// <param name="activity">The span from <see cref="StartClient"/>.</param>
    /// <param name="result">The call's outcome.</param>
    /// <param name="untaggedPeerId">The peer id learned during the call (the responder of a PING), when the span
    /// was started without one; null when it has one (the tags are a list: looking one up walks it).</param>
    internal static void CompleteClient(Activity? activity, RpcResult result, NodeId? untaggedPeerId)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        if (untaggedPeerId is { } id)
        {
            activity.AddTag(PeerIdTag, TagText.Of(id));
        }

        activity.AddTag(OutcomeTag, OutcomeName(result.Status));
        if (result.ResponseBytes > 0)
        {
            // Only when a response came: a timeout or a call that never went out has no size to tell.
            activity.AddTag(ResponseSizeTag, TagText.Boxed(result.ResponseBytes));
        }
        if (result.Status != RpcStatus.Ok)
        {
            activity.SetStatus(ActivityStatusCode.Error, OutcomeName(result.Status));
        }

        if (result.Elapsed > TimeSpan.Zero)
        {
            activity.SetEndTime(activity.StartTimeUtc + result.Elapsed);
        }
    }

    /// <summary>
    /// The server span of a request, a child of the client span whose trace context the request's header
    /// carries (read from its fields: the parent's ids are the only strings made); null when nobody listens.
    /// </summary>
    internal static Activity? StartServer(RpcRequest request, RpcRequestContext context)
    {
        var source = LiaaDiagnostics.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }

        var tags = SpanStartTags.Rent();
        tags.Add(RpcSystemTag, LiaaDiagnostics.RpcSystem);
        tags.Add(RpcMethodTag, MethodName(request.Method));
        tags.Add(ClientAddressTag, TagText.Of(context.Remote.Address));
        tags.Add(ClientPortTag, TagText.Boxed(context.Remote.Port));
        tags.Add(NetworkTransportTag, "udp");
        if (SenderOf(request) is { } sender)
        {
            tags.Add(PeerIdTag, TagText.Of(sender));
        }

        var activity = source.StartActivity(SpanName(request.Method), ActivityKind.Server, RemoteParent(context.Header), tags);
        tags.Return();
        return activity;
    }

    internal static void CompleteServer(Activity? activity, string outcome, int responseBytes, bool failed)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.AddTag(OutcomeTag, outcome);
        if (responseBytes > 0)
        {
            // Only when a reply was encoded: no reply, a failed handler or a stop has no size to tell.
            activity.AddTag(ResponseSizeTag, TagText.Boxed(responseBytes));
        }
        if (failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    /// <summary>
    /// The trace context of an extended request: that of the client span (or, untraced, of whatever span is
    /// current), so the server span on the peer becomes its child; empty when there is none in the W3C form. The
    /// span's own id texts are narrowed straight into the datagram (<see cref="OutgoingTraceContext"/>): no header
    /// object, no <c>Activity.Id</c> text, no decoding of the ids to bytes and back.
    /// </summary>
    internal static OutgoingTraceContext RequestTrace(Activity? clientActivity)
    {
        var context = clientActivity ?? Activity.Current;
        if (context is not { IdFormat: ActivityIdFormat.W3C })
        {
            return default;
        }

        var spanId = context.SpanId;
        var traceId = context.TraceId;
        if (spanId == default || traceId == default)
        {
            // Not started: it has no id to send.
            return default;
        }

        return OutgoingTraceContext.Of(traceId.ToHexString(), spanId.ToHexString(), (byte)context.ActivityTraceFlags, context.TraceStateString);
    }

    /// <summary>The parent a server span takes from a request's header: what <c>ActivityContext.TryParse</c> gives for its text.</summary>
    internal static ActivityContext RemoteParent(LiaaHeader? header)
    {
        if (header is null)
        {
            return default;
        }

        if (header.TryGetW3CTraceParent(out var traceParent))
        {
            Span<byte> ids = stackalloc byte[24];
            traceParent.CopyTraceId(ids[..16]);
            traceParent.CopySpanId(ids[16..]);
            return new ActivityContext(
                ActivityTraceId.CreateFromBytes(ids[..16]),
                ActivitySpanId.CreateFromBytes(ids[16..]),
                (ActivityTraceFlags)traceParent.Flags,
                header.TraceState,
                isRemote: true);
        }

        return header.TraceParent is { } other && ActivityContext.TryParse(other, header.TraceState, isRemote: true, out var parent)
            ? parent
            : default;
    }

    internal static NodeId? SenderOf(RpcRequest request) => request switch
    {
        PingRequest ping => ping.Sender,
        StoreRequest store => store.Sender,
        FindNodeRequest findNode => findNode.Sender,
        FindValueRequest findValue => findValue.Sender,
        _ => null,
    };
}

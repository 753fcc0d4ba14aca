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

    internal static Activity? StartClient(RpcMethod method, IPEndPoint remote, NodeId? peerId)
    {
        var activity = LiaaDiagnostics.ActivitySource.StartActivity(SpanName(method), ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddTag(RpcSystemTag, LiaaDiagnostics.RpcSystem);
            activity.AddTag(RpcMethodTag, MethodName(method));
            activity.AddTag(ServerAddressTag, TagText.Of(remote.Address));
            activity.AddTag(ServerPortTag, remote.Port);
            activity.AddTag(NetworkTransportTag, "udp");
            if (peerId is { } id)
            {
                activity.AddTag(PeerIdTag, TagText.Of(id));
            }
        }

        return activity;
    }

    internal static void CompleteClient(Activity? activity, RpcResult result, NodeId? knownPeerId)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        if (knownPeerId is { } id && activity.GetTagItem(PeerIdTag) is null)
        {
            activity.AddTag(PeerIdTag, TagText.Of(id));
        }

        activity.AddTag(OutcomeTag, OutcomeName(result.Status));
        activity.AddTag(ResponseSizeTag, result.ResponseBytes);
        if (result.Status != RpcStatus.Ok)
        {
            activity.SetStatus(ActivityStatusCode.Error, OutcomeName(result.Status));
        }
    }

    internal static Activity? StartServer(RpcRequest request, RpcRequestContext context)
    {
        ActivityContext parent = default;
        if (context.Header?.TraceParent is { } traceParent
            && !ActivityContext.TryParse(traceParent, context.Header.TraceState, isRemote: true, out parent))
        {
            parent = default;
        }

        var activity = LiaaDiagnostics.ActivitySource.StartActivity(SpanName(request.Method), ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddTag(RpcSystemTag, LiaaDiagnostics.RpcSystem);
            activity.AddTag(RpcMethodTag, MethodName(request.Method));
            activity.AddTag(ClientAddressTag, TagText.Of(context.Remote.Address));
            activity.AddTag(ClientPortTag, context.Remote.Port);
            activity.AddTag(NetworkTransportTag, "udp");
            if (SenderOf(request) is { } sender)
            {
                activity.AddTag(PeerIdTag, TagText.Of(sender));
            }
        }

        return activity;
    }

    internal static void CompleteServer(Activity? activity, string outcome, int responseBytes, bool failed)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.AddTag(OutcomeTag, outcome);
        activity.AddTag(ResponseSizeTag, responseBytes);
        if (failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    /// <summary>
    /// The header of an extended request: the W3C trace context of the client span (or, untraced, of
    /// whatever span is current), so the server span on the peer becomes its child.
    /// </summary>
    internal static LiaaHeader RequestHeader(Activity? clientActivity)
    {
        var context = clientActivity ?? Activity.Current;
        return context is { IdFormat: ActivityIdFormat.W3C, Id: { } id }
            ? new LiaaHeader(MessageId.LiaaProtocolVersion, id, context.TraceStateString)
            : LiaaHeader.Current;
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

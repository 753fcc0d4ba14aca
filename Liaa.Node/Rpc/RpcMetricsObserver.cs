using Liaa.Node.Telemetry;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>
/// Feeds the RPC layer's events into <see cref="NodeMetrics"/>, naming methods, outcomes and drop
/// reasons as their tags; telemetry itself knows nothing of the RPC layer.
/// </summary>
internal sealed class RpcMetricsObserver : IRpcObserver
{
    /// <summary>Every drop reason's tag value, built once per process: the nodes of <c>bench sim</c> share one <see cref="NodeMetrics"/>.</summary>
    private static readonly string[] DropReasonNames = [.. Enum.GetValues<DropReason>().Where(r => r != DropReason.None).Select(DropReasonName)];

    private readonly NodeMetrics _metrics;

    /// <summary>Also declares every drop reason to <paramref name="metrics"/>, whose series then start at 0 (a no-op when declared already).</summary>
    public RpcMetricsObserver(NodeMetrics metrics)
    {
        _metrics = metrics;
        metrics.DeclareDropReasons(DropReasonNames);
    }

    public void OnClientCompleted(RpcMethod method, RpcStatus status, TimeSpan elapsed, int responseBytes) =>
        _metrics.RpcClientCompleted(WireCodec.MethodName(method), RpcTelemetry.OutcomeName(status), status == RpcStatus.Timeout, elapsed);

    public void OnServerRequest(RpcMethod method) => _metrics.RpcServed(WireCodec.MethodName(method));

    public void OnDropped(DropReason reason) => _metrics.DatagramDropped(DropReasonName(reason));

    public void OnReplyTrimmed(RpcMethod method) => _metrics.ReplyTrimmed(WireCodec.MethodName(method));

    /// <summary>snake_case of a drop reason, as the metric label.</summary>
    public static string DropReasonName(DropReason reason) => reason switch
    {
        DropReason.TooShort => "too_short",
        DropReason.UnknownType => "unknown_type",
        DropReason.MalformedBody => "malformed_body",
        DropReason.TrailingBytes => "trailing_bytes",
        DropReason.TooDeep => "too_deep",
        DropReason.WrongShape => "wrong_shape",
        DropReason.UnknownMethod => "unknown_method",
        DropReason.WrongArgumentType => "wrong_argument_type",
        DropReason.WrongIdLength => "wrong_id_length",
        DropReason.InvalidAddress => "invalid_address",
        DropReason.InvalidValue => "invalid_value",
        DropReason.MalformedHeader => "malformed_header",
        DropReason.UnexpectedResponse => "unexpected_response",
        DropReason.WrongSource => "wrong_source",
        DropReason.LateOrDuplicate => "late_or_duplicate",
        DropReason.Oversized => "oversized",
        DropReason.Overloaded => "overloaded",
        DropReason.RateLimited => "rate_limited",
        DropReason.StoreRateLimited => "store_rate_limited",
        DropReason.DuplicateRequest => "duplicate_request",
        _ => reason.ToString().ToLowerInvariant(),
    };
}

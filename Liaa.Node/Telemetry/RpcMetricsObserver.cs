using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Node.Telemetry;

/// <summary>Feeds the RPC layer's events into <see cref="NodeMetrics"/>.</summary>
internal sealed class RpcMetricsObserver(NodeMetrics metrics) : IRpcObserver
{
    public void OnClientCompleted(RpcMethod method, RpcStatus status, TimeSpan elapsed, int responseBytes) =>
        metrics.RpcClientCompleted(method, status, elapsed);

    public void OnServerRequest(RpcMethod method) => metrics.RpcServed(method);

    public void OnDropped(DropReason reason) => metrics.DatagramDropped(reason);

    public void OnReplyTrimmed(RpcMethod method) => metrics.ReplyTrimmed(method);
}

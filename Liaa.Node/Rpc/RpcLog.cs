using System.Net;
using Liaa.Node.Wire;

namespace Liaa.Node.Rpc;

/// <summary>Log messages of the RPC layer (event ids 2000–2099).</summary>
internal static partial class RpcLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "RPC endpoint started on {LocalEndPoint}")]
    public static partial void Started(ILogger logger, IPEndPoint localEndPoint);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "RPC endpoint on {LocalEndPoint} stopped; {PendingCalls} pending calls ended")]
    public static partial void Stopped(ILogger logger, IPEndPoint localEndPoint, int pendingCalls);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Trace, Message = "Dropped a datagram from {Remote}: {Reason}")]
    public static partial void Dropped(ILogger logger, IPEndPoint remote, DropReason reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Handler for {Method} from {Remote} failed; no reply sent")]
    public static partial void HandlerFailed(ILogger logger, RpcMethod method, IPEndPoint remote, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Handler answered a {Method} request with a {ResponseMethod} response; no reply sent")]
    public static partial void WrongResponseMethod(ILogger logger, RpcMethod method, RpcMethod responseMethod);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Could not send a {Method} request to {Remote}")]
    public static partial void RequestSendFailed(ILogger logger, RpcMethod method, IPEndPoint remote, Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Could not send the {Method} response to {Remote}")]
    public static partial void ResponseSendFailed(ILogger logger, RpcMethod method, IPEndPoint remote, Exception exception);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Could not encode a {Method} message for {Remote}")]
    public static partial void EncodeFailed(ILogger logger, RpcMethod method, IPEndPoint remote, Exception exception);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Debug, Message = "{Method} to {Remote} refused: {Pending} calls already pending")]
    public static partial void TooManyPendingCalls(ILogger logger, RpcMethod method, IPEndPoint remote, int pending);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Debug, Message = "{Method} from {Remote} dropped: {Active} requests already being served")]
    public static partial void TooManyRequests(ILogger logger, RpcMethod method, IPEndPoint remote, int active);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Receiving on {LocalEndPoint} failed")]
    public static partial void ReceiveFailed(ILogger logger, IPEndPoint localEndPoint, Exception exception);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error, Message = "Processing a datagram from {Remote} failed unexpectedly")]
    public static partial void ProcessingFailed(ILogger logger, IPEndPoint remote, Exception exception);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Receiving on {LocalEndPoint} keeps failing; the receive loop ends")]
    public static partial void ReceiveLoopAbandoned(ILogger logger, IPEndPoint localEndPoint);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Debug, Message = "A datagram the receive thread of {LocalEndPoint} sent was refused by the kernel when its burst left")]
    public static partial void GatheredSendFailed(ILogger logger, IPEndPoint localEndPoint, Exception exception);
}

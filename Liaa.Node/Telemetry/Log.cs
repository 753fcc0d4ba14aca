using System.Net;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Telemetry;

/// <summary>
/// Every log line the node writes, as source-generated <see cref="LoggerMessageAttribute"/> methods.
/// EventIds: 1000s node lifecycle, 2000s routing, 3000s storage, 4000s maintenance, 5000s hosting.
/// Expected network failures log at Debug; Warning means an operator should act.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Liaa node {NodeId} listening on udp {EndPoint}")]
    public static partial void NodeStarted(ILogger logger, NodeId nodeId, IPEndPoint endPoint);

    [LoggerMessage(1001, LogLevel.Information, "Joined through {SeedsReached} of {SeedsTried} seeds; routing table holds {Contacts} contacts")]
    public static partial void Joined(ILogger logger, int seedsReached, int seedsTried, int contacts);

    /// <summary>Each step of a join (category <c>Liaa.Node.Join</c>): <c>bench cluster</c> reads when a node knew its peers from these.</summary>
    [LoggerMessage(1009, LogLevel.Debug, "Join: {Step}; routing table holds {Contacts} contacts")]
    public static partial void JoinStep(ILogger logger, string step, int contacts);

    [LoggerMessage(1002, LogLevel.Warning, "No seed answered ({SeedsTried} tried): the node stands alone until one does")]
    public static partial void JoinFailed(ILogger logger, int seedsTried);

    [LoggerMessage(1005, LogLevel.Warning, "{Problem} The node retries the join, resolving it again")]
    public static partial void SeedNotResolved(ILogger logger, string problem);

    [LoggerMessage(1006, LogLevel.Information, "Not ready yet: {Reason}")]
    public static partial void NotReadyYet(ILogger logger, string? reason);

    [LoggerMessage(1007, LogLevel.Error, "Not ready: {Reason}")]
    public static partial void NotReady(ILogger logger, string? reason);

    [LoggerMessage(1008, LogLevel.Information, "Ready: {Description}")]
    public static partial void Ready(ILogger logger, string? description);

    [LoggerMessage(1003, LogLevel.Information, "Liaa node {NodeId} stopped")]
    public static partial void NodeStopped(ILogger logger, NodeId nodeId);

    [LoggerMessage(1004, LogLevel.Error, "Background work failed")]
    public static partial void BackgroundWorkFailed(ILogger logger, Exception exception);

    [LoggerMessage(2000, LogLevel.Debug, "Evicted contact {NodeId} at {EndPoint} after repeated failures")]
    public static partial void ContactEvicted(ILogger logger, NodeId nodeId, IPEndPoint endPoint);

    /// <summary>A contact entered the routing table (category <c>Liaa.Node.Routing</c>): <c>bench cluster</c> reads when a node knew its peers from these.</summary>
    [LoggerMessage(2002, LogLevel.Debug, "Added contact {NodeId} at {EndPoint}; routing table holds {Contacts} contacts")]
    public static partial void ContactAdded(ILogger logger, NodeId nodeId, System.Net.IPEndPoint endPoint, int contacts);

    [LoggerMessage(2001, LogLevel.Debug, "Handed {Count} keys to newcomer {NodeId}")]
    public static partial void HandedOff(ILogger logger, int count, NodeId nodeId);

    [LoggerMessage(3000, LogLevel.Debug, "Refused STORE of {Key} from {EndPoint}: {Reason}")]
    public static partial void StoreRefused(ILogger logger, NodeId key, IPEndPoint endPoint, string? reason);

    [LoggerMessage(3001, LogLevel.Information, "Put {Key}: stored at {StoredAt} of {Asked} closest nodes")]
    public static partial void PutCompleted(ILogger logger, NodeId key, int storedAt, int asked);

    [LoggerMessage(3002, LogLevel.Information, "Get {Key}: {Outcome} after {Rounds} rounds, {Contacted} nodes contacted")]
    public static partial void GetCompleted(ILogger logger, NodeId key, string outcome, int rounds, int contacted);

    [LoggerMessage(3003, LogLevel.Error, "The value log {Path} cannot be written; no STORE or put is acknowledged until the node restarts")]
    public static partial void ValueLogFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(3004, LogLevel.Warning, "Compacting the value log {Path} failed; it keeps growing until the next attempt")]
    public static partial void ValueLogCompactionFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(3005, LogLevel.Information, "Recovered {Values} values from {Records} log records in {Path}")]
    public static partial void ValueLogRecovered(ILogger logger, int values, int records, string path);

    [LoggerMessage(3006, LogLevel.Warning, "Cut {Bytes} bytes of a torn last record off the end of {Path}")]
    public static partial void ValueLogTruncated(ILogger logger, long bytes, string path);

    [LoggerMessage(3020, LogLevel.Warning, "Skipped {Bytes} unreadable bytes in {Path} and kept the intact records around them; a copy of the unreadable bytes is in {Copy}. A failing disk is the likely cause")]
    public static partial void ValueLogCorrupt(ILogger logger, long bytes, string path, string copy);

    [LoggerMessage(3007, LogLevel.Warning, "{Count} recovered values were not restored: {Reason}")]
    public static partial void ValuesNotRestored(ILogger logger, int count, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "Could not save the contacts in {Path}")]
    public static partial void ContactsNotSaved(ILogger logger, string path, Exception exception);

    [LoggerMessage(3009, LogLevel.Debug, "Withheld the {Size}-byte value of {Key} from {EndPoint}: too large for its request, and the requester did not prove its address")]
    public static partial void ValueWithheld(ILogger logger, NodeId key, IPEndPoint endPoint, int size);

    [LoggerMessage(4000, LogLevel.Error, "Maintenance round failed")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);
}

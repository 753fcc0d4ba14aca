using System.Diagnostics;

namespace Liaa.Node.Telemetry;

/// <summary>
/// The names Liaa's telemetry is published under, and the process-wide activity source.
/// Listeners match by these names (ServiceDefaults subscribes to them).
/// </summary>
public static class LiaaDiagnostics
{
    /// <summary>Name of the activity source and of the meter.</summary>
    public const string Name = "Liaa.Node";

    /// <summary>Resource attribute carrying the node id (hex); <c>service.instance.id</c> is left to the environment.</summary>
    public const string NodeIdAttribute = "liaa.node.id";

    /// <summary>Resource attribute carrying the node's name (<c>serve --name</c>), when it has one.</summary>
    public const string NodeNameAttribute = "liaa.node.name";

    /// <summary>Value of <c>rpc.system</c> on every RPC span.</summary>
    public const string RpcSystem = "kademlia";

    /// <summary>The activity source every Liaa span starts from.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, typeof(LiaaDiagnostics).Assembly.GetName().Version?.ToString());
}

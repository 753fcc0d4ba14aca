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

    /// <summary>Value of <c>rpc.system</c> on every RPC span.</summary>
    public const string RpcSystem = "kademlia";

    /// <summary>The activity source every Liaa span starts from.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, typeof(LiaaDiagnostics).Assembly.GetName().Version?.ToString());
}

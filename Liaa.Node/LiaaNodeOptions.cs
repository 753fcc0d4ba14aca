using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Storage;

namespace Liaa.Node;

/// <summary>
/// Everything needed to start a <see cref="LiaaNode"/>: where it listens, who it is, the Kademlia,
/// RPC and storage parameters, and (for tests and the simulator) the clock, randomness and transport.
/// </summary>
public sealed class LiaaNodeOptions
{
    /// <summary>UDP endpoint to bind. <value>Default 0.0.0.0:8468, the Python examples' port.</value></summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Any, 8468);

    /// <summary>A fixed node id; a random one when null. <value>Default null.</value></summary>
    public NodeId? NodeId { get; set; }

    /// <summary>Seeds to join through; none starts a new network. <value>Default empty.</value></summary>
    public IList<IPEndPoint> Seeds { get; } = [];

    /// <summary>
    /// A short-lived client (the CLI's get/put): Liaa nodes do not add it to their routing tables and it
    /// runs no maintenance. <value>Default false.</value>
    /// </summary>
    public bool ClientMode { get; set; }

    /// <summary>
    /// A directory where the node keeps its id, its contacts and the values it holds across restarts
    /// (created when missing; one node at a time). Null keeps everything in memory only.
    /// </summary>
    /// <value>Default null (memory only).</value>
    public string? DataDirectory { get; set; }

    /// <summary>How often maintenance runs (expiry, bucket refresh, replication, republish). <value>Default 1 minute.</value></summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromMinutes(1);

    public KademliaOptions Kademlia { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public RpcOptions Rpc { get; set; } = new();

    /// <summary>The only clock the node uses. <value>Default <see cref="TimeProvider.System"/>.</value></summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Randomness for node ids and refresh targets; seed it for deterministic tests (RPC message ids never come from here: they come from the cryptographic generator). <value>Default <see cref="Random.Shared"/>.</value></summary>
    public Random? Random { get; set; }

    /// <summary>A transport to use instead of binding a UDP socket (in-memory network). <value>Default null.</value></summary>
    public IDatagramTransport? Transport { get; set; }

    /// <summary>
    /// Contacts shared with other nodes' routing tables in this process (the simulator: one instance of each
    /// node's contact for all the tables that know it). <value>Default null: the node keeps its own.</value>
    /// </summary>
    public ContactPool? ContactPool { get; set; }

    /// <summary>Validates every part, returning all problems at once (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        problems.AddRange(Kademlia.Validate());
        problems.AddRange(Storage.Validate());
        if (Rpc.Timeout <= TimeSpan.Zero)
        {
            problems.Add("Liaa:Transport:Timeout must be positive.");
        }

        if (DataDirectory is not null && string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("Liaa:Node:DataDirectory must name a directory when set.");
        }

        if (MaintenanceInterval <= TimeSpan.Zero)
        {
            problems.Add("Liaa:Node:MaintenanceInterval must be positive.");
        }

        return problems;
    }
}

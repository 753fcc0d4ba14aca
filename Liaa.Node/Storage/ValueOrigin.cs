namespace Liaa.Node.Storage;

/// <summary>Why this node holds a value; decides who replicates, republishes or merely keeps it.</summary>
public enum ValueOrigin : byte
{
    /// <summary>Published here (a user's put): this node is the original publisher and republishes it every 24 hours.</summary>
    Own,

    /// <summary>Stored here by a STORE as one of the k closest nodes: replicated hourly to the k closest (Kademlia §2.5).</summary>
    Replicated,

    /// <summary>Cached along a lookup path (Kademlia §2.3): served, never replicated, with a shortened TTL.</summary>
    Cached,
}

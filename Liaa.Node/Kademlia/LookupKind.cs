namespace Liaa.Node.Kademlia;

/// <summary>The two iterative lookups of Kademlia §2.3.</summary>
public enum LookupKind
{
    /// <summary>FIND_NODE: the k closest nodes to the target.</summary>
    FindNode,

    /// <summary>FIND_VALUE: the value stored under the target key, or the k closest nodes when there is none.</summary>
    FindValue,
}

namespace Liaa.Node.Kademlia;

/// <summary>
/// The §2.5 rule for handing keys to a node that joins: "when a new node joins the system, it must store
/// any key-value pair to which it is one of the k closest", and a node that learns of it "issues STORE
/// RPCs to transfer relevant key-value pairs". So that not every one of the k old holders sends each key,
/// only the holder closest to the key does.
/// </summary>
/// <remarks>
/// The key is compared to ids as it is: it already is the 160-bit point of the id space (the SHA-1 of the
/// user's key or a digest given as is). The Python ancestor hashes it a second time and so hands over keys
/// by the distance to an unrelated point.
/// </remarks>
internal static class KeyHandOff
{
    /// <summary>
    /// True when both hold, over the nodes this node knows (its contacts, itself and the newcomer):
    /// the newcomer is one of the <paramref name="k"/> closest to <paramref name="key"/>, and no node other
    /// than the newcomer is closer to the key than this node.
    /// </summary>
    /// <param name="self">This node's id.</param>
    /// <param name="newcomer">The node just learnt of.</param>
    /// <param name="key">The key, as stored (not hashed again).</param>
    /// <param name="closestKnownToKey">
    /// The contacts closest to the key, distinct ids, at least the <paramref name="k"/> closest known ones
    /// (or all of them) apart from the newcomer; the newcomer and this node may appear and are ignored.
    /// </param>
    /// <param name="k">The replication factor.</param>
    public static bool ShouldHandOff(NodeId self, NodeId newcomer, NodeId key, IReadOnlyList<Contact> closestKnownToKey, int k)
    {
        ArgumentNullException.ThrowIfNull(closestKnownToKey);
        if (newcomer == self || k <= 0)
        {
            return false;
        }

        var selfDistance = self ^ key;
        var newcomerDistance = newcomer ^ key;
        var closerThanNewcomer = selfDistance < newcomerDistance ? 1 : 0;
        foreach (var contact in closestKnownToKey)
        {
            if (contact.Id == newcomer || contact.Id == self)
            {
                continue;
            }

            var distance = contact.Id ^ key;
            if (distance < selfDistance)
            {
                return false;
            }

            if (distance < newcomerDistance)
            {
                closerThanNewcomer++;
            }
        }

        return closerThanNewcomer < k;
    }
}

namespace Liaa.Node.Kademlia;

/// <summary>What <see cref="RoutingTable.Observe"/> did with a contact.</summary>
internal enum AddContactStatus
{
    /// <summary>The contact is new to its bucket (possibly after splits, or in place of a stale contact).</summary>
    Added,

    /// <summary>The contact was known: it moved to the tail of its bucket and its failures were reset.</summary>
    Updated,

    /// <summary>
    /// The bucket is full and cannot split: the newcomer waits in the replacement cache, and the caller
    /// should ping <see cref="AddContactResult.ContactToPing"/> (the least-recently seen contact).
    /// </summary>
    Full,

    /// <summary>
    /// The id is known at another endpoint that has not failed: the table keeps the old endpoint,
    /// remembers the new one, and the caller should ping <see cref="AddContactResult.ContactToPing"/>
    /// (the old endpoint). If it stays silent, the new endpoint takes over.
    /// </summary>
    EndPointConflict,

    /// <summary>The contact was not taken: it carries the table's own id or an unusable endpoint.</summary>
    Rejected,

    /// <summary>
    /// The contact was kept out by a defence (<see cref="AddContactResult.Refusal"/>): its network already has
    /// its share of the table or bucket, or its endpoint belongs to another id. For the latter the caller
    /// should ping <see cref="AddContactResult.ContactToPing"/> (the id holding the endpoint): if another id
    /// answers there, the holder is gone.
    /// </summary>
    Refused,
}

/// <summary>Why <see cref="RoutingTable.Observe"/> refused a contact.</summary>
internal enum ContactRefusal
{
    None,

    /// <summary>Its /24 or /48 already has <see cref="KademliaOptions.MaxContactsPerSubnet"/> contacts in the table, or its share of the bucket.</summary>
    Subnet,

    /// <summary>Another id is in the table at the same address and port: one endpoint is one node.</summary>
    EndPointTaken,
}

/// <summary>The outcome of observing a contact.</summary>
/// <param name="Status">What happened.</param>
/// <param name="ContactToPing">For <see cref="AddContactStatus.Full"/>, <see cref="AddContactStatus.EndPointConflict"/> and an endpoint refusal: whom to ping.</param>
/// <param name="Replaced">For <see cref="AddContactStatus.Added"/>: the stale contact the newcomer replaced, if any.</param>
/// <param name="Refusal">For <see cref="AddContactStatus.Refused"/>: why.</param>
internal readonly record struct AddContactResult(AddContactStatus Status, Contact? ContactToPing = null, Contact? Replaced = null, ContactRefusal Refusal = ContactRefusal.None);

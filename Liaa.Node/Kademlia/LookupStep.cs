namespace Liaa.Node.Kademlia;

/// <summary>What the driver of a <see cref="Lookup"/> should do next.</summary>
internal enum LookupStepKind
{
    /// <summary>
    /// Send a request to each of <see cref="LookupStep.Contacts"/> now, then carry on as for <see cref="Wait"/>
    /// (calling <see cref="Lookup.Next"/> again at once is fine: it answers Wait).
    /// </summary>
    Send,

    /// <summary>
    /// Nothing to send: wait for a response or failure, or until <see cref="LookupStep.WakeAt"/> (when a
    /// request becomes slow and frees its slot), then call <see cref="Lookup.Next"/> again.
    /// </summary>
    Wait,

    /// <summary>The lookup is over: read <see cref="Lookup.GetResult"/>; late answers are ignored.</summary>
    Finished,
}

/// <summary>One instruction from <see cref="Lookup.Next"/>.</summary>
internal readonly record struct LookupStep(LookupStepKind Kind, IReadOnlyList<Contact> Contacts, DateTimeOffset? WakeAt)
{
    public static LookupStep Finished { get; } = new(LookupStepKind.Finished, [], null);

    public static LookupStep Send(IReadOnlyList<Contact> contacts, DateTimeOffset? wakeAt) => new(LookupStepKind.Send, contacts, wakeAt);

    public static LookupStep Wait(DateTimeOffset? wakeAt) => new(LookupStepKind.Wait, [], wakeAt);
}

using Liaa.Node.Kademlia;

namespace Liaa.Node.Storage;

/// <summary>
/// Where the value store records each change so it survives a restart (<see cref="ValueLog"/>).
/// <see cref="Written"/> and <see cref="Removed"/> are called under the store's lock, in the order the
/// changes happen: they must be quick (buffer and hand over to the OS, no flush), must not throw, and must
/// not call back into the store. <see cref="FlushAsync"/> makes every change recorded before it durable.
/// </summary>
internal interface IValueJournal
{
    /// <summary>The key now holds this value with these times (a full record, not a delta).</summary>
    void Written(NodeId key, DhtValue value, ValueOrigin origin, long publishedTicks, long receivedTicks, long expiresTicks);

    /// <summary>The key is no longer held.</summary>
    void Removed(NodeId key);

    /// <summary>Completes once every change recorded before the call is on disk.</summary>
    /// <exception cref="IOException">The journal cannot be written; nothing recorded since the failure is durable.</exception>
    Task FlushAsync(CancellationToken cancellationToken);
}

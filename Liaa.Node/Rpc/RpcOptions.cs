namespace Liaa.Node.Rpc;

/// <summary>Settings of an <see cref="RpcEndpoint"/> (configuration section <c>Liaa:Transport</c>).</summary>
public sealed class RpcOptions
{
    /// <summary>How long a call waits for its response before it ends with <see cref="RpcStatus.Timeout"/>.</summary>
    /// <value>Default 5 seconds, as the Python peers wait. Must be positive.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Incoming requests being handled at once; a request beyond this is dropped without reply and
    /// counted as <see cref="Wire.DropReason.Overloaded"/>, as an overloaded Python peer would appear.
    /// </summary>
    /// <value>Default 1024 requests.</value>
    public int MaxConcurrentRequests { get; set; } = 1024;

    /// <summary>
    /// Whether this endpoint is a short-lived client (a command-line get/put): its message ids carry
    /// <see cref="Wire.LiaaIdFlags.ClientMode"/> so Liaa peers leave it out of their routing tables.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool ClientMode { get; set; }

    /// <summary>Outgoing calls waiting for a response at once; a call beyond this ends at once with <see cref="RpcStatus.Error"/>.</summary>
    /// <value>Default 10,000 calls.</value>
    public int MaxPendingCalls { get; set; } = 10_000;

    /// <summary>Peers remembered as Liaa (answered in the extended form); the oldest is forgotten first.</summary>
    /// <value>Default 10,000 endpoints.</value>
    public int KnownLiaaPeersCapacity { get; set; } = 10_000;

    /// <summary>
    /// Ids of recently finished calls remembered, so that a response arriving after its call ended is
    /// counted as late or duplicate rather than unexpected.
    /// </summary>
    /// <value>Default 4096 ids.</value>
    public int CompletedCallMemory { get; set; } = 4096;

    /// <summary>Every problem with these settings, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Timeout <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(Timeout)} must be positive (is {Timeout}).");
        }

        if (MaxConcurrentRequests <= 0)
        {
            problems.Add($"{nameof(MaxConcurrentRequests)} must be positive (is {MaxConcurrentRequests}).");
        }

        if (MaxPendingCalls <= 0)
        {
            problems.Add($"{nameof(MaxPendingCalls)} must be positive (is {MaxPendingCalls}).");
        }

        if (KnownLiaaPeersCapacity < 0)
        {
            problems.Add($"{nameof(KnownLiaaPeersCapacity)} must not be negative (is {KnownLiaaPeersCapacity}).");
        }

        if (CompletedCallMemory < 0)
        {
            problems.Add($"{nameof(CompletedCallMemory)} must not be negative (is {CompletedCallMemory}).");
        }

        return problems;
    }
}

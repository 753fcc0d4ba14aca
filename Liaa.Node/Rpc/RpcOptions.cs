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
    /// Over UDP, requests served on the receive thread (PING, FIND_NODE, FIND_VALUE, STUN) and requests
    /// waiting for the thread pool (STORE) are counted apart, each against this bound, so a backlog of
    /// STOREs never refuses a PING.
    /// </summary>
    /// <value>Default 1024 requests (of each kind, over UDP).</value>
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

    /// <summary>
    /// Requests remembered by source and message id, so that a replayed datagram is dropped
    /// (<see cref="Wire.DropReason.DuplicateRequest"/>) rather than served again. 0 turns it off.
    /// </summary>
    /// <value>Default 16,384 requests (384 KB once that many came: 8-byte digests, <see cref="RecentSet"/>).</value>
    public int RecentRequestMemory { get; set; } = 16_384;

    /// <summary>
    /// Requests per second each source (UDP address and port) may send; more are dropped without reply and
    /// counted as <see cref="Wire.DropReason.RateLimited"/>. Loopback is not exempt. 0 turns the limit off.
    /// </summary>
    /// <value>Default 1000 requests per second, with bursts of <see cref="RequestBurstPerSource"/>.</value>
    public double RequestRatePerSource { get; set; } = 1000;

    /// <summary>Requests a source may send at once above its rate (the bucket's capacity).</summary>
    /// <value>Default 5000 requests: a node replicating a few thousand keys to a neighbour in one go.</value>
    public int RequestBurstPerSource { get; set; } = 5000;

    /// <summary>
    /// STOREs per second each source may send (on top of the request limit); more are dropped without reply
    /// and counted as <see cref="Wire.DropReason.StoreRateLimited"/>. 0 turns the limit off.
    /// </summary>
    /// <value>Default 200 STOREs per second, with bursts of <see cref="StoreBurstPerSource"/>.</value>
    public double StoreRatePerSource { get; set; } = 200;

    /// <summary>STOREs a source may send at once above its rate.</summary>
    /// <value>Default 2000 STOREs: a neighbour's hourly replication or a joining node's hand-off.</value>
    public int StoreBurstPerSource { get; set; } = 2000;

    /// <summary>Sources with a rate-limit bucket of their own; beyond it, untracked sources share one bucket.</summary>
    /// <value>Default 10,000 sources (about a megabyte).</value>
    public int MaxTrackedSources { get; set; } = 10_000;

    /// <summary>
    /// No amplification: a reply may be at most this many times its request's size (plus
    /// <see cref="ReplyAllowanceBytes"/>). Contact lists are cut to fit; a value larger than that is sent only
    /// to a requester that proved its address by answering a ping. 0 turns the bound off.
    /// </summary>
    /// <value>
    /// Default 10. With the allowance, a 77-byte <c>find_node</c> (the size of every plain one) may be answered with
    /// 1794 bytes: k = 20 contacts take about 880 bytes over IPv4 and 1400 over IPv6, so Python peers always get
    /// their full k; only k above about 23 is cut.
    /// </value>
    public int ReplyAmplificationFactor { get; set; } = 10;

    /// <summary>
    /// Endpoints remembered with the id they answered a ping as; only those are sent more than the reply bound
    /// allows (a large value, a hand-off STORE) without a new ping first. The oldest is forgotten first.
    /// </summary>
    /// <value>Default 10,000 endpoints.</value>
    public int AnsweredPeersCapacity { get; set; } = 10_000;

    /// <summary>
    /// Requests (large-value reads, hand-offs) from one address that may wait at once for that address to answer
    /// a verification ping; more are withheld (<c>liaa_replies_withheld_total</c>). Waiting holds no serving slot.
    /// </summary>
    /// <value>Default 64 per address (every port of the address counts; loopback too, so a local cluster of up to 64 nodes verifies all at once).</value>
    public int MaxPendingVerificationsPerAddress { get; set; } = 64;

    /// <summary>Requests from all addresses that may wait at once for a verification ping.</summary>
    /// <value>Default 1024.</value>
    public int MaxPendingVerifications { get; set; } = 1024;

    /// <summary>Bytes a reply may have on top of <see cref="ReplyAmplificationFactor"/> times its request.</summary>
    /// <value>Default 1024 bytes.</value>
    public int ReplyAllowanceBytes { get; set; } = 1024;

    /// <summary>The largest reply allowed to a request of <paramref name="requestBytes"/>; null when unbounded.</summary>
    public int? MaxReplyBytes(int requestBytes) =>
        ReplyAmplificationFactor <= 0 ? null : (int)Math.Min(int.MaxValue, ((long)requestBytes * ReplyAmplificationFactor) + ReplyAllowanceBytes);

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

        if (CompletedCallMemory is < 0 or > RecentSet.MaxCapacity)
        {
            problems.Add($"{nameof(CompletedCallMemory)} must be from 0 to {RecentSet.MaxCapacity} (is {CompletedCallMemory}).");
        }

        if (RecentRequestMemory is < 0 or > RecentSet.MaxCapacity)
        {
            problems.Add($"{nameof(RecentRequestMemory)} must be from 0 to {RecentSet.MaxCapacity} (is {RecentRequestMemory}).");
        }

        if (RequestRatePerSource < 0 || double.IsNaN(RequestRatePerSource))
        {
            problems.Add($"{nameof(RequestRatePerSource)} must not be negative (is {RequestRatePerSource}).");
        }

        if (StoreRatePerSource < 0 || double.IsNaN(StoreRatePerSource))
        {
            problems.Add($"{nameof(StoreRatePerSource)} must not be negative (is {StoreRatePerSource}).");
        }

        if (RequestBurstPerSource < 1)
        {
            problems.Add($"{nameof(RequestBurstPerSource)} must be at least 1 (is {RequestBurstPerSource}).");
        }

        if (StoreBurstPerSource < 1)
        {
            problems.Add($"{nameof(StoreBurstPerSource)} must be at least 1 (is {StoreBurstPerSource}).");
        }

        if (MaxTrackedSources < 1)
        {
            problems.Add($"{nameof(MaxTrackedSources)} must be at least 1 (is {MaxTrackedSources}).");
        }

        if (ReplyAmplificationFactor < 0)
        {
            problems.Add($"{nameof(ReplyAmplificationFactor)} must not be negative (is {ReplyAmplificationFactor}).");
        }

        if (AnsweredPeersCapacity < 0)
        {
            problems.Add($"{nameof(AnsweredPeersCapacity)} must not be negative (is {AnsweredPeersCapacity}).");
        }

        if (MaxPendingVerificationsPerAddress < 0)
        {
            problems.Add($"{nameof(MaxPendingVerificationsPerAddress)} must not be negative (is {MaxPendingVerificationsPerAddress}).");
        }

        if (MaxPendingVerifications < 0)
        {
            problems.Add($"{nameof(MaxPendingVerifications)} must not be negative (is {MaxPendingVerifications}).");
        }

        if (ReplyAllowanceBytes < 0)
        {
            problems.Add($"{nameof(ReplyAllowanceBytes)} must not be negative (is {ReplyAllowanceBytes}).");
        }

        return problems;
    }
}

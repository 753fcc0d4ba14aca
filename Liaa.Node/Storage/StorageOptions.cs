namespace Liaa.Node.Storage;

/// <summary>
/// Lifetimes and limits of the value store (configuration section <c>Liaa:Storage</c>).
/// </summary>
/// <remarks>
/// The intervals must satisfy <c>ReplicateInterval &lt; RepublishInterval &lt; Ttl</c>: a value lives
/// <see cref="Ttl"/> after its publication and the publisher renews it every <see cref="RepublishInterval"/>,
/// so the renewal has to land strictly before the expiry (equal would race the two).
/// </remarks>
public sealed class StorageOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string SectionName = "Liaa:Storage";

    /// <summary>Lifetime of a value after its original publication; replication does not extend it, a republish does.</summary>
    /// <value>Default 24 hours (Kademlia §2.5).</value>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often a holder replicates each value to the k closest nodes, skipping values stored here within the interval (§4.1).</summary>
    /// <value>Default 1 hour (Kademlia §2.5).</value>
    public TimeSpan ReplicateInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often the original publisher republishes its values with a new publication time. The paper says
    /// 24 hours together with a 24-hour expiry; 23 hours keeps the paper's expiry and renews an hour before it,
    /// leaving room for a replication tick and the lookups of the republish itself.
    /// </summary>
    /// <value>Default 23 hours. Must be longer than <see cref="ReplicateInterval"/> and shorter than <see cref="Ttl"/>.</value>
    public TimeSpan RepublishInterval { get; set; } = TimeSpan.FromHours(23);

    /// <summary>Largest value accepted, in encoded (MessagePack) bytes. Python peers refuse requests over 8192 bytes.</summary>
    /// <value>Default 8192 bytes.</value>
    public int MaxValueBytes { get; set; } = 8192;

    /// <summary>Most keys held at once; cached values give way to own and replicated ones.</summary>
    /// <value>Default 100,000 keys.</value>
    public int MaxKeys { get; set; } = 100_000;

    /// <summary>Most value bytes held at once; cached values give way to own and replicated ones.</summary>
    /// <value>Default 256 MiB (268,435,456 bytes).</value>
    public long MaxTotalBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most value bytes held for one sender address (every port of it; loopback included), so one host cannot
    /// fill the store. Own values are not counted. 0 turns the limit off.
    /// </summary>
    /// <value>Default 64 MiB (67,108,864 bytes), a quarter of <see cref="MaxTotalBytes"/>.</value>
    public long MaxBytesPerSource { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most keys held for one sender address. Own values are not counted. 0 turns the limit off.</summary>
    /// <value>Default 25,000 keys, a quarter of <see cref="MaxKeys"/>.</value>
    public int MaxKeysPerSource { get; set; } = 25_000;

    /// <summary>
    /// Most value bytes held for the senders of one network, its /24 (IPv4) or /48 (IPv6); loopback is exempt
    /// (local clusters). 0 turns the limit off.
    /// </summary>
    /// <value>Default 128 MiB (134,217,728 bytes), half of <see cref="MaxTotalBytes"/>.</value>
    public long MaxBytesPerNetwork { get; set; } = 128L * 1024 * 1024;

    /// <summary>Most keys held for the senders of one /24 or /48 (loopback exempt). 0 turns the limit off.</summary>
    /// <value>Default 50,000 keys, half of <see cref="MaxKeys"/>.</value>
    public int MaxKeysPerNetwork { get; set; } = 50_000;

    /// <summary>Every problem with these options, each naming its configuration key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Ttl <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(Ttl)} must be positive (is {Ttl}).");
        }

        if (ReplicateInterval <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(ReplicateInterval)} must be positive (is {ReplicateInterval}).");
        }

        if (RepublishInterval <= ReplicateInterval)
        {
            problems.Add($"{SectionName}:{nameof(RepublishInterval)} ({RepublishInterval}) must be longer than {nameof(ReplicateInterval)} ({ReplicateInterval}).");
        }

        if (RepublishInterval >= Ttl)
        {
            problems.Add($"{SectionName}:{nameof(RepublishInterval)} ({RepublishInterval}) must be shorter than {nameof(Ttl)} ({Ttl}), or values expire before their publisher renews them.");
        }

        if (MaxValueBytes < 1)
        {
            problems.Add($"{SectionName}:{nameof(MaxValueBytes)} must be at least 1 (is {MaxValueBytes}).");
        }

        if (MaxKeys < 1)
        {
            problems.Add($"{SectionName}:{nameof(MaxKeys)} must be at least 1 (is {MaxKeys}).");
        }

        if (MaxTotalBytes < MaxValueBytes)
        {
            problems.Add($"{SectionName}:{nameof(MaxTotalBytes)} ({MaxTotalBytes}) must be at least {nameof(MaxValueBytes)} ({MaxValueBytes}).");
        }

        if (MaxBytesPerSource < 0 || MaxKeysPerSource < 0 || MaxBytesPerNetwork < 0 || MaxKeysPerNetwork < 0)
        {
            problems.Add($"{SectionName}:{nameof(MaxBytesPerSource)}, {nameof(MaxKeysPerSource)}, {nameof(MaxBytesPerNetwork)} and {nameof(MaxKeysPerNetwork)} must not be negative (are {MaxBytesPerSource}, {MaxKeysPerSource}, {MaxBytesPerNetwork}, {MaxKeysPerNetwork}).");
        }

        return problems;
    }
}

using Liaa.Node.Kademlia;

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

    /// <summary>
    /// The largest value every peer can carry, in encoded (MessagePack) bytes: a Python node refuses to send a
    /// request whose <c>[name, args]</c> passes 8,192 bytes, and its STORE is the encoded value plus 52 bytes
    /// (<c>'store'</c>, the two 20-byte ids and the MessagePack headers), so it can forward, cache, hand off and
    /// republish values of at most 8,140 encoded bytes: a text of 8,137 UTF-8 bytes, or 8,137 raw bytes.
    /// </summary>
    public const int MaxCarriableValueBytes = Wire.WireCodec.MaxPythonRequestBodySize - PythonStoreOverheadBytes;

    // 0x92, 'store' (fixstr, 6), 0x93, two bin8 ids of 20 bytes (22 each).
    private const int PythonStoreOverheadBytes = 1 + 6 + 1 + 22 + 22;

    /// <summary>
    /// Largest value accepted, in encoded (MessagePack) bytes, from any source: a local put, the HTTP API and a
    /// peer's STORE alike. At most <see cref="MaxCarriableValueBytes"/>, which every peer can carry.
    /// </summary>
    /// <value>Default 8,140 bytes (<see cref="MaxCarriableValueBytes"/>).</value>
    public int MaxValueBytes { get; set; } = MaxCarriableValueBytes;

    /// <summary>Most keys held at once; cached values give way to own and replicated ones.</summary>
    /// <value>Default 100,000 keys.</value>
    public int MaxKeys { get; set; } = 100_000;

    /// <summary>
    /// How many of the k closest nodes must acknowledge a put's STORE before the put returns. The STOREs to all
    /// k go out at once either way; with a number set, the put answers its caller as soon as that many stored
    /// the value (or every STORE has ended, whichever comes first), and the rest finish in the background: the
    /// node records their outcome (<c>liaa.store.sent</c>, <c>liaa.store.after_return</c> = true) and waits for
    /// them (each at most an RPC timeout) before it stops. Replication and republish always wait for all.
    /// 0 (or <c>null</c>) waits for every one of the k. The default, 8, is the number of holders OpenDHT stores at and
    /// waits for; it changes only what the caller waits for, not what is sent (every STORE has left when the put returns).
    /// </summary>
    /// <value>Default 8 (at most k). Nodes; 0 or <c>null</c>: all k.</value>
    public int? PutAcknowledgements { get; set; } = 8;

    /// <summary>
    /// Whether a put's FIND_NODE lookup ends at convergence, its STOREs being the final step: once α answers in a
    /// row bring no new node into the k closest seen, the STOREs go to the k nearest nodes seen (asked or not), and
    /// a STORE that fails goes on to the next nearest. <c>false</c> runs the paper's full lookup first (every one
    /// of the k closest answers a FIND_NODE), then the STOREs. Replication and republish always run the full lookup.
    /// </summary>
    /// <value>Default <c>true</c>.</value>
    public bool PutStoresAtConvergence { get; set; } = true;

    /// <summary>
    /// How many recent put lookups a node remembers the nearest nodes of, each for 10 seconds, so a put of a key whose
    /// neighbourhood one of them mapped needs no lookup of its own: it stores at the k nearest nodes that lookup and
    /// the routing table know of, the nodes its own lookup would have started from and converged to (a node putting
    /// many values saves a lookup on most of them; see <c>RecentNeighbourhoods</c> for when a lookup covers a key).
    /// Used only with <see cref="PutStoresAtConvergence"/>. 0 turns it off: every put runs its lookup.
    /// </summary>
    /// <value>Default 128 lookups.</value>
    public int PutLookupReuse { get; set; } = 128;

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

    /// <summary>
    /// Why <paramref name="value"/> is refused for its size, in the user's terms (the encoded size,
    /// and for a text or bytes, its own length), or null when it fits <see cref="MaxValueBytes"/>.
    /// </summary>
    public string? DescribeTooLarge(DhtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var size = value.Encoded.Length;
        if (size <= MaxValueBytes)
        {
            return null;
        }

        var why = MaxValueBytes == MaxCarriableValueBytes
            ? "what every peer, Python ones included, can carry"
            : $"{SectionName}:{nameof(MaxValueBytes)}";
        var content = value.Kind switch
        {
            DhtValueKind.String => $", a text of {System.Text.Encoding.UTF8.GetByteCount(value.AsString()):N0} UTF-8 bytes",
            DhtValueKind.Bytes => $", {value.AsBytes().Length:N0} raw bytes",
            _ => string.Empty,
        };
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"Values are at most {MaxValueBytes:N0} bytes encoded ({why}); this one is {size:N0}{content}.");
    }

    /// <summary>The longest text (in UTF-8 bytes) or bytes value whose encoding fits <paramref name="encodedLimit"/> bytes.</summary>
    public static int LargestPayload(int encodedLimit)
    {
        var payload = Math.Max(0, encodedLimit - 1);
        while (payload > 0 && payload + Math.Max(Wire.MessagePackWriter.StringHeaderSize(payload), Wire.MessagePackWriter.BinaryHeaderSize(payload)) > encodedLimit)
        {
            payload--;
        }

        return payload;
    }

    /// <summary>Every problem with these options, each naming its configuration key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Ttl <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(Ttl)} must be positive (is {Ttl}).");
        }

        if (PutLookupReuse < 0)
        {
            problems.Add($"{SectionName}:{nameof(PutLookupReuse)} must be 0 (off) or more (is {PutLookupReuse}).");
        }

        if (PutAcknowledgements is < 0)
        {
            problems.Add($"{SectionName}:{nameof(PutAcknowledgements)} must be 0 (all k) or more (is {PutAcknowledgements}).");
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

        if (MaxValueBytes > MaxCarriableValueBytes)
        {
            problems.Add($"{SectionName}:{nameof(MaxValueBytes)} must be at most {MaxCarriableValueBytes} (is {MaxValueBytes}): Python peers cannot carry a larger value.");
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

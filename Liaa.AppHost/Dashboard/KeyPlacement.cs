using System.Text.Json;
using Liaa.Node.Kademlia;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// Where one key lives: every node ranked by XOR distance from the key (Kademlia §2.3 stores a value
/// on the k closest nodes), and whether each node holds it, read from its <c>/v1/storage</c>.
/// </summary>
internal sealed record KeyPlacement(
    string Key,
    string KeyId,
    double RingPosition,
    int Holders,
    IReadOnlyList<KeyPlacementNode> Nodes)
{
    /// <summary>
    /// Ranks <paramref name="nodes"/> (name and id; nodes without an id last) by distance from
    /// <paramref name="keyId"/> and marks the holders found in their storage listings.
    /// </summary>
    public static KeyPlacement Build(
        string key,
        NodeId keyId,
        IReadOnlyList<(string Name, string? NodeId)> nodes,
        IReadOnlyDictionary<string, StorageListing> listings)
    {
        var keyHex = keyId.ToString();
        var ranked = nodes
            .Select(n => (n.Name, n.NodeId, Distance: NodeId.TryParse(n.NodeId, out var id) ? id ^ keyId : (NodeId?)null))
            .OrderBy(n => n.Distance is null)
            .ThenBy(n => n.Distance ?? NodeId.Max)
            .Select((n, i) =>
            {
                var listing = listings.GetValueOrDefault(n.Name);
                var value = listing?.Values.FirstOrDefault(v => v.Key == keyHex);
                return new KeyPlacementNode(
                    n.Name,
                    n.NodeId,
                    n.Distance is { } d ? (d == NodeId.Zero ? 0 : d.HighestBit + 1) : null,
                    i + 1,
                    value is not null,
                    value?.Origin,
                    value?.Kind,
                    value?.Size,
                    value?.ExpiresAt,
                    listing?.Error ?? (listing is null ? "not running" : null));
            })
            .ToList();
        return new KeyPlacement(key, keyHex, IdSpace.RingPosition(keyHex), ranked.Count(n => n.Holds), ranked);
    }
}

/// <summary>One node's place for a key; <see cref="Rank"/> 1 is the closest.</summary>
internal sealed record KeyPlacementNode(
    string Node,
    string? NodeId,
    int? DistanceBits,
    int Rank,
    bool Holds,
    string? Origin,
    string? Kind,
    int? Size,
    DateTimeOffset? ExpiresAt,
    string? Error);

/// <summary>A node's <c>/v1/storage</c> values (or why it could not be read).</summary>
internal sealed record StorageListing(IReadOnlyList<StoredValueInfo> Values, string? Error)
{
    public static StorageListing Failed(string error) => new([], error);

    public static StorageListing Parse(JsonElement storage)
    {
        var values = new List<StoredValueInfo>();
        if (storage.TryGetProperty("values", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray())
            {
                values.Add(new StoredValueInfo(
                    String(item, "key") ?? string.Empty,
                    String(item, "kind"),
                    item.TryGetProperty("size", out var size) && size.TryGetInt32(out var bytes) ? bytes : null,
                    String(item, "origin"),
                    item.TryGetProperty("expiresAt", out var expires) && expires.TryGetDateTimeOffset(out var at) ? at : null));
            }
        }

        return new StorageListing(values, null);
    }

    private static string? String(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

internal sealed record StoredValueInfo(string Key, string? Kind, int? Size, string? Origin, DateTimeOffset? ExpiresAt);

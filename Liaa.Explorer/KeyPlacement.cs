using System.Text.Json;

namespace Liaa.Explorer;

/// <summary>
/// Where one key lives: every node ranked by XOR distance from the key (Kademlia §2.3 stores a value
/// on the k closest nodes), and whether each holds it, from its <c>/v1/storage</c> listing.
/// </summary>
internal sealed record KeyPlacement(string Key, string KeyId, double RingPosition, int K, int Holders, IReadOnlyList<KeyPlacementNode> Nodes)
{
    public static KeyPlacement Build(string key, Id160 keyId, int k, IReadOnlyList<RingNode> nodes, IReadOnlyDictionary<string, NodeRead> storage)
    {
        var ranked = nodes
            .Select(n => (Node: n, Id: Id160.TryParse(n.NodeId, out var id) ? id : (Id160?)null))
            .OrderBy(n => n.Id is null)
            .ThenBy(n => n.Id ?? default, Id160.ByDistanceFrom(keyId))
            .Select((n, i) =>
            {
                var read = storage.GetValueOrDefault(n.Node.Name);
                var value = read?.Json is { } json ? Find(json, keyId.Hex) : null;
                return new KeyPlacementNode(
                    n.Node.Name,
                    n.Node.NodeId,
                    n.Id?.DistanceBits(keyId),
                    i + 1,
                    n.Id is not null && i < k,
                    value is not null,
                    value is { } v ? RingNode.Text(v, "origin") : null,
                    value is { } e && e.TryGetProperty("expiresAt", out var at) && at.TryGetDateTimeOffset(out var expires) ? expires : null,
                    read?.Error ?? n.Node.Error);
            })
            .ToList();
        return new KeyPlacement(key, keyId.Hex, keyId.RingPosition, k, ranked.Count(n => n.Holds), ranked);
    }

    private static JsonElement? Find(JsonElement storage, string keyHex)
    {
        if (storage.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Array)
        {
            foreach (var value in values.EnumerateArray())
            {
                if (string.Equals(RingNode.Text(value, "key"), keyHex, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }
        }

        return null;
    }
}

/// <summary>One node's place for a key; <see cref="Rank"/> 1 is the closest, <see cref="IsKClosest"/> when within k.</summary>
internal sealed record KeyPlacementNode(string Node, string? NodeId, int? DistanceBits, int Rank, bool IsKClosest, bool Holds, string? Origin, DateTimeOffset? ExpiresAt, string? Error);

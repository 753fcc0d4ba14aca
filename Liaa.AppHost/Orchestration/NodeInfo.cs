using System.Text.Json;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// What a node says about itself at <c>GET /v1/node</c>. Read leniently (property names in any case,
/// a few spellings), so the AppHost does not break on a cosmetic change to the node's JSON.
/// </summary>
/// <param name="Id">The node id, lower-case hex.</param>
/// <param name="UdpEndpoint">The UDP endpoint as the node reports it, if it does.</param>
/// <param name="HttpEndpoint">The HTTP endpoint as the node reports it, if it does.</param>
public sealed record NodeInfo(string Id, string? UdpEndpoint, string? HttpEndpoint)
{
    public static bool TryParse(JsonElement json, out NodeInfo? info)
    {
        info = null;
        if (json.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var id = Find(json, "id", "nodeId");
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        info = new NodeInfo(id.ToLowerInvariant(), Find(json, "udp", "udpEndpoint", "endpoint"), Find(json, "http", "httpEndpoint", "url"));
        return true;
    }

    private static string? Find(JsonElement json, params string[] names)
    {
        foreach (var property in json.EnumerateObject())
        {
            if (names.Any(name => string.Equals(name, property.Name, StringComparison.OrdinalIgnoreCase)))
            {
                return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            }
        }

        return null;
    }
}

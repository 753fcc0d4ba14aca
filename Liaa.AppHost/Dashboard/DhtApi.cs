using System.Text.Json.Nodes;
using Liaa.AppHost.Orchestration;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// The DHT page's API: the nodes on the 160-bit id ring, one node's routing table by bucket (from
/// the node itself), and which nodes hold a key (from every running node's storage listing).
/// </summary>
internal static class DhtApi
{
    public static void Map(RouteGroupBuilder api, LiaaDashboard dashboard)
    {
        api.MapGet("/dht/ring", () => DashboardJson.Ok(new Ring([.. dashboard.Cluster.Nodes
            .Select(n => n.Snapshot)
            .Select(s => new RingNode(s.Name, s.NodeId, s.NodeId is null ? null : IdSpace.RingPosition(s.NodeId), s.State, s.State.IsRunning(), s.IsSeed))])));

        api.MapGet("/dht/nodes/{name}/routing-table", async (string name, CancellationToken cancellationToken) =>
        {
            if (!dashboard.TryFind(name, out var node))
            {
                return DashboardJson.Problem(StatusCodes.Status404NotFound, "No such node", $"There is no node named '{name}'.");
            }

            if (!node.State.IsRunning() || node.HttpEndpoint is not { } http)
            {
                return DashboardJson.Problem(StatusCodes.Status409Conflict, "Node not running", $"{name} is {node.State}.");
            }

            try
            {
                using var table = await dashboard.Nodes.GetJsonAsync(http, "/v1/routing-table", cancellationToken).ConfigureAwait(false);
                return Results.Json(NameContacts(JsonNode.Parse(table.RootElement.GetRawText())!, dashboard.Directory().NamesById, name), DashboardJson.Options);
            }
            catch (NodeCallException exception)
            {
                return DashboardJson.Problem(StatusCodes.Status502BadGateway, $"{name} did not answer", exception.Message);
            }
        });

        api.MapGet("/dht/keys/{key}", async (string key, bool? digest, CancellationToken cancellationToken) =>
        {
            if (!IdSpace.TryKeyId(key, digest == true, out var keyId))
            {
                return DashboardJson.Problem(StatusCodes.Status400BadRequest, "Invalid digest", $"'{key}' is not 40 hexadecimal digits.");
            }

            var nodes = dashboard.Cluster.Nodes.Select(n => n.Snapshot).ToList();
            var listings = await ReadStorageAsync(dashboard, nodes, cancellationToken).ConfigureAwait(false);
            return DashboardJson.Ok(KeyPlacement.Build(key, keyId, [.. nodes.Select(n => (n.Name, n.NodeId))], listings));
        });
    }

    /// <summary>Every running node's storage listing, read in parallel; a node that fails is listed with the reason.</summary>
    private static async Task<Dictionary<string, StorageListing>> ReadStorageAsync(LiaaDashboard dashboard, IReadOnlyList<NodeSnapshot> nodes, CancellationToken cancellationToken)
    {
        var reads = nodes
            .Where(n => n.State.IsRunning() && n.HttpEndpoint is not null)
            .Select(async n =>
            {
                try
                {
                    using var storage = await dashboard.Nodes.GetJsonAsync(n.HttpEndpoint!, "/v1/storage", cancellationToken).ConfigureAwait(false);
                    return (n.Name, Listing: StorageListing.Parse(storage.RootElement));
                }
                catch (NodeCallException exception)
                {
                    return (n.Name, Listing: StorageListing.Failed(exception.Message));
                }
            })
            .ToList();
        var results = await Task.WhenAll(reads).ConfigureAwait(false);
        return results.ToDictionary(r => r.Name, r => r.Listing, StringComparer.Ordinal);
    }

    /// <summary>Adds <c>node</c> (the contact's name in this cluster, when known) to every contact and replacement, and <c>name</c> to the table.</summary>
    internal static JsonNode NameContacts(JsonNode table, IReadOnlyDictionary<string, string> names, string owner)
    {
        table["name"] = owner;
        if (table["buckets"] is not JsonArray buckets)
        {
            return table;
        }

        foreach (var bucket in buckets.OfType<JsonObject>())
        {
            foreach (var list in new[] { bucket["contacts"], bucket["replacements"] }.OfType<JsonArray>())
            {
                foreach (var contact in list.OfType<JsonObject>())
                {
                    if (contact["id"]?.GetValue<string>() is { } id && names.TryGetValue(id, out var name))
                    {
                        contact["node"] = name;
                    }
                }
            }
        }

        return table;
    }
}

internal sealed record Ring(IReadOnlyList<RingNode> Nodes);

/// <summary>A node on the id ring; <see cref="Position"/> is its id as a fraction of 2¹⁶⁰.</summary>
internal sealed record RingNode(string Name, string? NodeId, double? Position, NodeState State, bool IsRunning, bool IsSeed);

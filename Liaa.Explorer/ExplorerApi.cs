using System.Text.Json;

namespace Liaa.Explorer;

/// <summary>
/// The explorer's JSON API under <c>/api</c>: the ring, one node's routing table with contacts named,
/// where a key lives, and the rounds of the lookups the nodes recorded for a key (with a replay of the one a
/// chosen node would run now). Failures are problem details naming the node.
/// </summary>
internal static class ExplorerApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/ring", async (NodeDirectory directory, NodeReader reader, CancellationToken cancellationToken) =>
            Results.Json(await ClusterView.ReadAsync(directory, reader, cancellationToken).ConfigureAwait(false)));

        api.MapGet("/nodes/{name}/routing-table", async (string name, NodeDirectory directory, NodeReader reader, CancellationToken cancellationToken) =>
        {
            if (directory.Find(name) is not { } node)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such node", detail: $"There is no node named '{name}'.");
            }

            var view = await ClusterView.ReadAsync(directory, reader, cancellationToken).ConfigureAwait(false);
            var read = await reader.ReadAsync(node, "/v1/routing-table", cancellationToken).ConfigureAwait(false);
            if (read.Json is not { } table)
            {
                return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: $"{name} did not answer", detail: read.Error);
            }

            return Results.Json(RoutingTableView.From(name, table, view.NamesById));
        });

        api.MapGet("/keys/{key}", async (string key, bool? digest, NodeDirectory directory, NodeReader reader, CancellationToken cancellationToken) =>
        {
            if (!TryKeyId(key, digest == true, out var keyId))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid digest", detail: $"'{key}' is not 40 hexadecimal digits.");
            }

            var view = await ClusterView.ReadAsync(directory, reader, cancellationToken).ConfigureAwait(false);
            var running = directory.Nodes.Where(n => view.Nodes.Any(v => v.Name == n.Name && v.IsRunning));
            var storage = await reader.ReadAllAsync(running, "/v1/storage", cancellationToken).ConfigureAwait(false);
            return Results.Json(KeyPlacement.Build(key, keyId, view.K, view.Nodes, storage));
        });

        api.MapGet("/lookups/{key}", async (string key, bool? digest, string? from, NodeDirectory directory, NodeReader reader, ExplorerLinks links, CancellationToken cancellationToken) =>
        {
            if (!TryKeyId(key, digest == true, out var target))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid digest", detail: $"'{key}' is not 40 hexadecimal digits.");
            }

            var view = await ClusterView.ReadAsync(directory, reader, cancellationToken).ConfigureAwait(false);
            var running = directory.Nodes.Where(n => view.Nodes.Any(v => v.Name == n.Name && v.IsRunning)).ToList();
            var recordedReads = reader.ReadAllAsync(running, $"/v1/lookups?digest=true&target={target.Hex}", cancellationToken);
            var tableReads = reader.ReadAllAsync(running, "/v1/routing-table", cancellationToken);
            var recorded = RecordedLookups.From(target, await recordedReads.ConfigureAwait(false), view.NamesById, links.Dashboard);
            var replay = Replay(target, from ?? "node-0", view, await tableReads.ConfigureAwait(false));
            return Results.Json(new { key, target = target.Hex, ringPosition = target.RingPosition, dashboard = links.Dashboard, recorded = recorded.Take(10), replay });
        });
    }

    /// <summary>
    /// The lookup <paramref name="from"/> would run now, played against the routing tables the nodes report
    /// (<see cref="LookupRounds"/>): a reconstruction, for a start node that has not looked the key up itself.
    /// </summary>
    private static object Replay(Id160 target, string from, ClusterView view, IReadOnlyDictionary<string, NodeRead> reads)
    {
        var start = view.Nodes.FirstOrDefault(n => n.Name == from && n.IsRunning);
        if (start?.NodeId is null)
        {
            return new { from, error = $"'{from}' is not a running node of this cluster.", rounds = Array.Empty<LookupRound>() };
        }

        var tables = new Dictionary<Id160, IReadOnlyList<Id160>>();
        foreach (var node in view.Nodes)
        {
            if (Id160.TryParse(node.NodeId, out var id) && reads.TryGetValue(node.Name, out var read) && read.Json is { } json)
            {
                tables[id] = RoutingTableView.ContactIds(json);
            }
        }

        var names = view.NamesById;
        var startId = new Id160(start.NodeId);
        var rounds = LookupRounds.Run(
            target,
            startId,
            tables.GetValueOrDefault(startId) ?? [],
            tables.Where(t => t.Key != startId).ToDictionary(),
            id => names.GetValueOrDefault(id.Hex),
            view.K,
            alpha: 3);
        return new { from = start.Name, error = (string?)null, rounds };
    }

    private static bool TryKeyId(string key, bool isDigest, out Id160 id)
    {
        if (!isDigest)
        {
            id = Id160.FromKey(key);
            return true;
        }

        return Id160.TryParse(key, out id);
    }
}

/// <summary>A node's <c>/v1/routing-table</c> with each contact named when it is a node of this cluster.</summary>
internal static class RoutingTableView
{
    public static object From(string name, JsonElement table, IReadOnlyDictionary<string, string> namesById)
    {
        var buckets = new List<object>();
        if (table.TryGetProperty("buckets", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var bucket in items.EnumerateArray())
            {
                buckets.Add(new
                {
                    index = RingNode.Int(bucket, "index"),
                    depth = RingNode.Int(bucket, "depth"),
                    low = RingNode.Text(bucket, "low"),
                    high = RingNode.Text(bucket, "high"),
                    fill = bucket.TryGetProperty("fill", out var fill) && fill.TryGetDouble(out var f) ? f : 0,
                    contacts = Contacts(bucket, "contacts", namesById),
                    replacements = Contacts(bucket, "replacements", namesById),
                });
            }
        }

        return new { name, self = RingNode.Text(table, "self"), size = RingNode.Int(table, "size"), k = RingNode.Int(table, "k"), buckets };
    }

    /// <summary>Every contact id in the table (not the replacement caches: a lookup only asks contacts).</summary>
    public static IReadOnlyList<Id160> ContactIds(JsonElement table)
    {
        var ids = new List<Id160>();
        if (table.TryGetProperty("buckets", out var buckets) && buckets.ValueKind == JsonValueKind.Array)
        {
            foreach (var bucket in buckets.EnumerateArray())
            {
                if (bucket.TryGetProperty("contacts", out var contacts) && contacts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var contact in contacts.EnumerateArray())
                    {
                        if (Id160.TryParse(RingNode.Text(contact, "id"), out var id))
                        {
                            ids.Add(id);
                        }
                    }
                }
            }
        }

        return ids;
    }

    private static List<object> Contacts(JsonElement bucket, string list, IReadOnlyDictionary<string, string> namesById)
    {
        var contacts = new List<object>();
        if (bucket.TryGetProperty(list, out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var contact in items.EnumerateArray())
            {
                var id = RingNode.Text(contact, "id");
                contacts.Add(new
                {
                    id,
                    node = id is null ? null : namesById.GetValueOrDefault(id),
                    address = RingNode.Text(contact, "address"),
                    port = RingNode.Int(contact, "port"),
                    lastSeen = RingNode.Text(contact, "lastSeen"),
                    failures = RingNode.Int(contact, "failures"),
                });
            }
        }

        return contacts;
    }
}

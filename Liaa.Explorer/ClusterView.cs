using System.Text.Json;

namespace Liaa.Explorer;

/// <summary>
/// One moment of the cluster as the explorer draws it: every node's id, UDP address and k from its
/// <c>/v1/node</c> (or why it did not answer), and a map from ids to node names for naming contacts.
/// </summary>
internal sealed record ClusterView(IReadOnlyList<RingNode> Nodes)
{
    public static async Task<ClusterView> ReadAsync(NodeDirectory directory, NodeReader reader, CancellationToken cancellationToken)
    {
        var reads = await reader.ReadAllAsync(directory.Nodes, "/v1/node", cancellationToken).ConfigureAwait(false);
        return new ClusterView([.. directory.Nodes.Select(n => RingNode.From(n.Name, reads[n.Name]))]);
    }

    public IReadOnlyDictionary<string, string> NamesById =>
        Nodes.Where(n => n.NodeId is not null).ToDictionary(n => n.NodeId!, n => n.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>k as the nodes report it (20 when none answers).</summary>
    public int K => Nodes.FirstOrDefault(n => n.K is not null)?.K ?? 20;
}

/// <summary>A node on the id ring; <see cref="Position"/> is its id as a fraction of 2¹⁶⁰.</summary>
internal sealed record RingNode(string Name, string? NodeId, double? Position, string? Udp, int? Contacts, int? K, bool IsRunning, bool IsSeed, string? Error)
{
    public static RingNode From(string name, NodeRead read)
    {
        var isSeed = name == "node-0";
        if (read.Json is not { } json || !Id160.TryParse(Text(json, "id"), out var id))
        {
            return new RingNode(name, null, null, null, null, null, false, isSeed, read.Error ?? "no id");
        }

        return new RingNode(name, id.Hex, id.RingPosition, Text(json, "udp"), Int(json, "contacts"), Int(json, "k"), true, isSeed, null);
    }

    internal static string? Text(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static int? Int(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : null;
}

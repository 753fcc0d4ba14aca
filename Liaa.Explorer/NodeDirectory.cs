using System.Globalization;

namespace Liaa.Explorer;

/// <summary>
/// The cluster's nodes by resource name, with the HTTP address of each one's API, as the AppHost passes
/// them by reference (<c>services__node-3__http__0=http://localhost:PORT</c>, Aspire's service
/// discovery variables). Node names are kept in cluster order: <c>node-0</c> (the seed) first.
/// </summary>
internal sealed class NodeDirectory(IReadOnlyList<NodeAddress> nodes)
{
    public IReadOnlyList<NodeAddress> Nodes { get; } = nodes;

    public static NodeDirectory FromConfiguration(IConfiguration configuration)
    {
        var nodes = new List<NodeAddress>();
        foreach (var service in configuration.GetSection("services").GetChildren())
        {
            if (service.Key.StartsWith("node-", StringComparison.Ordinal) && service["http:0"] is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                nodes.Add(new NodeAddress(service.Key, uri));
            }
        }

        return new NodeDirectory([.. nodes.OrderBy(n => Index(n.Name)).ThenBy(n => n.Name, StringComparer.Ordinal)]);
    }

    public NodeAddress? Find(string name) => Nodes.FirstOrDefault(n => n.Name == name);

    private static int Index(string name) =>
        int.TryParse(name.AsSpan("node-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : int.MaxValue;
}

internal sealed record NodeAddress(string Name, Uri Http);

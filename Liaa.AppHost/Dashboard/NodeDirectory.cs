using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// Names for what telemetry calls a node by: its id (<c>liaa.peer.id</c>, <c>service.instance.id</c>)
/// or its UDP endpoint (<c>server.address</c>:<c>server.port</c> on a client RPC span). Built per
/// request from the cluster and the store.
/// </summary>
/// <remarks>
/// A restart draws a new id (and may move the node's ports), while older traces still carry the old
/// ones: ids every process reported to the store are kept, and the cluster's current ids and
/// endpoints win over them.
/// </remarks>
internal sealed class NodeDirectory
{
    private readonly Dictionary<string, string> _namesById;
    private readonly Dictionary<string, string> _namesByEndpoint;
    private readonly Dictionary<string, string> _idsByName;

    public NodeDirectory(
        IReadOnlyDictionary<string, string> namesById,
        IReadOnlyDictionary<string, string> namesByEndpoint,
        IReadOnlyDictionary<string, string> idsByName)
    {
        _namesById = new(namesById, StringComparer.OrdinalIgnoreCase);
        _namesByEndpoint = new(namesByEndpoint, StringComparer.OrdinalIgnoreCase);
        _idsByName = new(idsByName, StringComparer.Ordinal);
    }

    public static NodeDirectory Empty { get; } = new(new Dictionary<string, string>(), new Dictionary<string, string>(), new Dictionary<string, string>());

    public static NodeDirectory From(IEnumerable<NodeSnapshot> nodes, IEnumerable<ServiceSummary> services)
    {
        var namesById = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in services)
        {
            if (service.Service.InstanceId is { } id)
            {
                namesById[id] = service.Service.ServiceName;
            }
        }

        var namesByEndpoint = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var idsByName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (node.NodeId is { } id)
            {
                namesById[id] = node.Name;
                idsByName[node.Name] = id;
            }

            if (node.UdpEndpoint is { } endpoint)
            {
                namesByEndpoint[endpoint.ToString()] = node.Name;
            }
        }

        return new NodeDirectory(namesById, namesByEndpoint, idsByName);
    }

    public string? NameOf(string nodeId) => _namesById.GetValueOrDefault(nodeId);

    public string? NameAt(string udpEndpoint) => _namesByEndpoint.GetValueOrDefault(udpEndpoint);

    public string? IdOf(string name) => _idsByName.GetValueOrDefault(name);

    /// <summary>Node names by id, for callers that only need that.</summary>
    public IReadOnlyDictionary<string, string> NamesById => _namesById;
}

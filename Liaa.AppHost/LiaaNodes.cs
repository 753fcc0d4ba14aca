using System.Net.Sockets;
using System.Reflection;

namespace Liaa.AppHost;

/// <summary>
/// Adds the Liaa nodes to the app model: node 0 is the seed, every other node joins through it and
/// waits for it to be healthy. Each node is its own resource (Aspire's replicas need proxied
/// endpoints, and a Kademlia UDP port is not proxied) with a fixed, non-proxied <c>udp</c> endpoint,
/// an <c>http</c> endpoint for its API, <c>/health</c> and <c>/metrics</c>, a health check, OTLP export
/// to the dashboard, and the Liaa commands.
/// </summary>
/// <remarks>
/// By default a node runs from Liaa.Node's built binary as an executable resource (one process, no
/// <c>dotnet run</c> per node: the difference is measured in the README); <c>--projects true</c> runs
/// project resources instead, for debugging. Either way the node is told its HTTP address once, by
/// <c>--http 127.0.0.1:{port}</c>: no <c>ASPNETCORE_URLS</c> reaches it, so Kestrel has one address and
/// no warning. Every socket is on 127.0.0.1.
/// </remarks>
internal static class LiaaNodes
{
    /// <summary>Adds the nodes; <paramref name="decorate"/> adds what every node shares (commands, links).</summary>
    public static IReadOnlyList<IResourceWithEndpoints> AddLiaaNodes(
        this IDistributedApplicationBuilder builder,
        ClusterSettings settings,
        Action<IResourceBuilder<IResourceWithEndpoints>> decorate)
    {
        var nodes = new List<IResourceWithEndpoints>();
        for (var i = 0; i < settings.Nodes; i++)
        {
            var name = ClusterSettings.NodeName(i);
            var seed = i == 0 ? null : builder.CreateResourceBuilder(nodes[0]);
            IResourceWithEndpoints node = settings.NodesAsProjects
                ? Configure(builder.AddProject<Projects.Liaa_Node>(name, o => o.ExcludeLaunchProfile = true).WithEndpointsInEnvironment(_ => false), settings, i, seed)
                : Configure(builder.AddExecutable(name, NodeBinary(), Path.GetDirectoryName(NodeBinary())!).WithOtlpExporter(), settings, i, seed);
            decorate(builder.CreateResourceBuilder(node));
            nodes.Add(node);
        }

        return nodes;
    }

    private static T Configure<T>(IResourceBuilder<T> node, ClusterSettings settings, int index, IResourceBuilder<IResourceWithEndpoints>? seed)
        where T : IResourceWithEndpoints, IResourceWithArgs, IResourceWithEnvironment, IResourceWithWaitSupport
    {
        var udp = settings.UdpPort(index);
        node.WithEndpoint(port: udp, targetPort: udp, scheme: "udp", name: "udp", isProxied: false, protocol: ProtocolType.Udp)
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health")
            .WithArgs(context =>
            {
                var http = node.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort);
                context.Args.Add("serve");
                context.Args.Add("--name");
                context.Args.Add(node.Resource.Name);
                context.Args.Add("--address");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(udp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.Args.Add("--http");
                context.Args.Add(ReferenceExpression.Create($"127.0.0.1:{http}"));
                if (seed is not null)
                {
                    context.Args.Add("--seed");
                    context.Args.Add($"127.0.0.1:{settings.UdpPort(0)}");
                }
            });
        foreach (var (name, value) in settings.NodeConfiguration)
        {
            node.WithEnvironment(name, value);
        }

        if (seed is not null)
        {
            node.WaitFor(seed);
        }

        return node.Resource;
    }

    /// <summary>
    /// Liaa.Node's built executable: the AppHost references the project, so building the AppHost builds
    /// it, in the configuration the AppHost was built in (recorded in this assembly at build time).
    /// </summary>
    public static string NodeBinary()
    {
        var metadata = typeof(LiaaNodes).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        var project = Path.GetDirectoryName(new Projects.Liaa_Node().ProjectPath)!;
        var binary = Path.Combine(project, "bin", metadata["LiaaConfiguration"]!, metadata["LiaaTargetFramework"]!, "Liaa.Node");
        return OperatingSystem.IsWindows() ? binary + ".exe" : binary;
    }
}

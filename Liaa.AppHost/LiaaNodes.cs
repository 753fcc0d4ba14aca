using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Liaa.AppHost;

/// <summary>
/// Adds the Liaa nodes to the app model: node 0 is the seed, every other node joins through it and
/// starts once the seed's process runs (<c>WaitForStart</c>), not once it is healthy (why: in <c>Configure</c>). Each node is its own resource (Aspire's replicas need proxied
/// endpoints, and a Kademlia UDP port is not proxied) with a fixed, non-proxied <c>udp</c> endpoint,
/// an <c>http</c> endpoint for its API, <c>/health</c> and <c>/metrics</c>, a health check, OTLP export
/// to the dashboard, and the Liaa commands.
/// </summary>
/// <remarks>
/// By default a node runs from Liaa.Node's built binary as an executable resource (one process, no
/// <c>dotnet run</c> per node: the difference is measured in the README); <c>--node-build aot</c> runs the
/// same resources from Liaa.Node compiled ahead of time (<see cref="NativeAotNode"/>), <c>--node-build composite</c> from
/// its self-contained composite ReadyToRun build (the same class; no C toolchain needed), and <c>--projects true</c>
/// runs project resources instead, for debugging. Either way the node is told its HTTP address once, by
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
        var binary = NodeExecutable(settings.NodeBuild);
        for (var i = 0; i < settings.Nodes; i++)
        {
            var name = ClusterSettings.NodeName(i);
            var seed = i == 0 ? null : builder.CreateResourceBuilder(nodes[0]);
            IResourceWithEndpoints node = settings.NodesAsProjects
                ? Configure(builder.AddProject<Projects.Liaa_Node>(name, o => o.ExcludeLaunchProfile = true).WithEndpointsInEnvironment(_ => false).WithoutHttps(), settings, i, seed)
                : Configure(builder.AddExecutable(name, binary, Path.GetDirectoryName(binary)!).WithOtlpExporter(), settings, i, seed);
            decorate(builder.CreateResourceBuilder(node));
            nodes.Add(node);
        }

        return nodes;
    }

    private static T Configure<T>(IResourceBuilder<T> node, ClusterSettings settings, int index, IResourceBuilder<IResourceWithEndpoints>? seed)
        where T : IResourceWithEndpoints, IResourceWithArgs, IResourceWithEnvironment, IResourceWithWaitSupport
    {
        var udp = settings.UdpPort(index);
        node.WithPlainHttpOnly()
            .WithEndpoint(port: udp, targetPort: udp, scheme: "udp", name: "udp", isProxied: false, protocol: ProtocolType.Udp)
            .WithHttpEndpoint(name: "http")
            .WithNodeHealthCheck()
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

        // Started with the seed, not after it: the seed's start (1-3 s of CPU on two cores) and the health check that sees
        // it healthy were all on the way to every other node's start (BENCHMARKS.md, "Start-up"). A node whose seed does
        // not answer yet is not joined and says so on /health; it retries by itself (NodeHost: 250 ms doubling to 2 s),
        // so it joins within moments of the seed answering. What WaitFor gave is kept: no node starts before its seed's
        // process does, a seed that fails to start holds the others in "Waiting", and the dashboard shows the dependency.
        if (seed is not null)
        {
            node.WaitForStart(seed);
        }

        return node.Resource;
    }

    /// <summary>The node's health check: <c>/health</c> answers 200, asked as <see cref="NodeHealthCheck"/> says.</summary>
    private static IResourceBuilder<T> WithNodeHealthCheck<T>(this IResourceBuilder<T> node)
        where T : IResourceWithEndpoints
    {
        var key = $"{node.Resource.Name}_http_/health_200_check";
        var endpoint = node.Resource.GetEndpoint("http");
        var services = node.ApplicationBuilder.Services;
        services.TryAddSingleton<NodeHealthClient>();

        // One instance per node: it remembers whether the node was healthy at the last check.
        NodeHealthCheck? check = null;
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            key,
            sp => check ??= new NodeHealthCheck(sp.GetRequiredService<NodeHealthClient>().Http, () => new Uri(new Uri(endpoint.Url), "/health"), sp.GetService<TimeProvider>() ?? TimeProvider.System),
            failureStatus: null,
            tags: null));
        return node.WithHealthCheck(key);
    }

    /// <summary>
    /// The DHT explorer, from its built binary like the nodes (or as a project with <c>--projects true</c>):
    /// a web resource on 127.0.0.1 that is given every node's HTTP endpoint by reference.
    /// </summary>
    public static IResourceBuilder<IResourceWithEndpoints> AddLiaaExplorer(this IDistributedApplicationBuilder builder, ClusterSettings settings)
    {
        if (settings.NodesAsProjects)
        {
            var project = builder.AddProject<Projects.Liaa_Explorer>("explorer", o => o.ExcludeLaunchProfile = true)
                .WithoutHttps()
                .WithPlainHttpOnly()
                .WithHttpEndpoint(name: "http")
                .WithUrlForEndpoint("http", url => url.DisplayText = "DHT explorer");
            return builder.CreateResourceBuilder<IResourceWithEndpoints>(project.Resource);
        }

        var binary = Binary(new Projects.Liaa_Explorer().ProjectPath, "Liaa.Explorer");
        var explorer = builder.AddExecutable("explorer", binary, Path.GetDirectoryName(binary)!)
            .WithPlainHttpOnly()
            .WithOtlpExporter()
            .WithHttpEndpoint(name: "http", env: null)
            .WithUrlForEndpoint("http", url => url.DisplayText = "DHT explorer");
        explorer.WithEnvironment(context => context.EnvironmentVariables["ASPNETCORE_URLS"] =
            ReferenceExpression.Create($"http://127.0.0.1:{explorer.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort)}"));
        return builder.CreateResourceBuilder<IResourceWithEndpoints>(explorer.Resource);
    }

    /// <summary>
    /// For a resource that serves plain HTTP on loopback and makes no TLS connection (the nodes, the explorer,
    /// Prometheus): no custom certificate authorities, so Aspire neither sets <c>SSL_CERT_DIR</c> for it nor writes
    /// "No custom certificate authorities to configure" at the top of its console log.
    /// </summary>
    public static IResourceBuilder<T> WithPlainHttpOnly<T>(this IResourceBuilder<T> resource)
        where T : IResourceWithEnvironment, IResourceWithArgs =>
        resource.WithCertificateTrustScope(CertificateTrustScope.None);

    /// <summary>
    /// A project resource serves no HTTPS: without this, Aspire counts it as using TLS and, with no trusted
    /// development certificate on the machine, shows the "No trusted development certificate" notification in the
    /// dashboard and logs it as a warning (an executable resource has no such default).
    /// </summary>
#pragma warning disable ASPIRECERTIFICATES001 // WithoutHttpsCertificate is marked experimental in Aspire 13.6; it only records that the resource uses no certificate.
    private static IResourceBuilder<ProjectResource> WithoutHttps(this IResourceBuilder<ProjectResource> project) => project.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

    /// <summary>Liaa.Node's built executable.</summary>
    public static string NodeBinary() => Binary(new Projects.Liaa_Node().ProjectPath, "Liaa.Node");

    /// <summary>
    /// Liaa.Node compiled ahead of time, under the repository's <c>artifacts/aot/</c>: <c>--node-build aot</c> runs it,
    /// and <c>Program</c> publishes it before the nodes start (<see cref="NativeAotNode.EnsureBuiltAsync"/>).
    /// </summary>
    public static NativeAotNode NativeAot() => Published(NodeBuild.Aot);

    /// <summary>
    /// Liaa.Node published for <paramref name="build"/> (<see cref="NodeBuild.Aot"/> or <see cref="NodeBuild.Composite"/>),
    /// under the repository's <c>artifacts/aot/</c> or <c>artifacts/composite/</c>.
    /// </summary>
    public static NativeAotNode Published(NodeBuild build) => new(new Projects.Liaa_Node().ProjectPath, build: build);

    /// <summary>The executable the node resources run for <paramref name="build"/>.</summary>
    public static string NodeExecutable(NodeBuild build) => build == NodeBuild.Jit ? NodeBinary() : Published(build).ExecutablePath;

    /// <summary>
    /// A referenced project's built executable: the AppHost references the project, so building the
    /// AppHost builds it, in the configuration the AppHost was built in (recorded in this assembly).
    /// </summary>
    private static string Binary(string projectPath, string name)
    {
        var metadata = typeof(LiaaNodes).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        var binary = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", metadata["LiaaConfiguration"]!, metadata["LiaaTargetFramework"]!, name);
        return OperatingSystem.IsWindows() ? binary + ".exe" : binary;
    }
}

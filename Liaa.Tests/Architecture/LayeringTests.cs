using Liaa.Node;

namespace Liaa.Tests.Architecture;

/// <summary>
/// The layering of docs/ARCHITECTURE.md, checked on the compiled Liaa.Node assembly: each layer
/// (a namespace under <c>Liaa.Node</c>) refers only to the layers below it, and the core (Kademlia)
/// to no socket, clock, serializer or logger. A new reference against the arrows fails here with the
/// type, the referenced type and the member.
/// </summary>
public sealed class LayeringTests
{
    private const string Root = "Liaa.Node";

    // What each product layer may refer to besides itself. The root namespace holds the node facade
    // (LiaaNode, its options and results). The test doubles (Liaa.Simulation) and the bench tools
    // (Liaa.Bench) are projects of their own that the node never references.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Kademlia"] = [],
        ["Wire"] = ["Kademlia"],
        ["Telemetry"] = ["Kademlia"],
        ["Rpc"] = ["Wire", "Kademlia", "Telemetry"],
        ["Storage"] = ["Wire", "Kademlia", "Telemetry"],
        ["Protocol"] = ["Rpc", "Storage", "Wire", "Kademlia", "Telemetry", Root],
        [Root] = ["Protocol", "Rpc", "Storage", "Wire", "Kademlia", "Telemetry"],
        ["Api"] = [Root, "Protocol", "Rpc", "Storage", "Wire", "Kademlia", "Telemetry"],
        ["Hosting"] = ["Api", Root, "Protocol", "Rpc", "Storage", "Wire", "Kademlia", "Telemetry"],
    };

    // The core knows no socket, clock, serializer or logger: time comes in as a DateTimeOffset argument.
    // (System.Net.Sockets.AddressFamily, an address's family, is allowed.)
    private static readonly string[] ForbiddenInCore =
    [
        "System.Net.Sockets.Socket", "System.Net.Sockets.UdpClient", "System.Net.Sockets.TcpClient", "MessagePack.", "System.Text.Json.", "Microsoft.Extensions.Logging.",
        "System.Diagnostics.Metrics.", "System.TimeProvider", "System.Diagnostics.Stopwatch", "System.Threading.Timer",
        "System.DateTime.get_Now", "System.DateTime.get_UtcNow", "System.DateTimeOffset.get_Now", "System.DateTimeOffset.get_UtcNow",
    ];

    [Fact]
    public void EachLayer_RefersOnlyToTheLayersBelowIt()
    {
        var violations = LayerViolations(typeof(LiaaNode).Assembly.GetTypes(), Root, Allowed);

        Assert.True(violations.Count == 0, "References against the layering:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void TheCore_HasNoSocketClockSerializerOrLogger()
    {
        var core = typeof(LiaaNode).Assembly.GetTypes().Where(t => t.Namespace == $"{Root}.Kademlia");

        var violations = ForbiddenReferences(core, ForbiddenInCore);

        Assert.True(violations.Count == 0, "The core refers to:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void TheRules_CoverEveryProductLayer()
    {
        var layers = typeof(LiaaNode).Assembly.GetTypes()
            .Select(t => LayerOf(t, Root))
            .OfType<string>()
            .ToHashSet();

        Assert.Empty(layers.Except(Allowed.Keys));
    }

    // The product binary holds no test double and no benchmark: those live in Liaa.Simulation and
    // Liaa.Bench (which keep their Liaa.Node.* namespaces), and Liaa.Node references neither.
    [Fact]
    public void TheProduct_HoldsNoTestDoubleOrBenchmark()
    {
        var product = typeof(LiaaNode).Assembly;
        var doubles = typeof(Liaa.Node.Simulation.SimulatedNetwork).Assembly;
        var bench = typeof(Liaa.Node.Bench.BenchCommand).Assembly;

        Assert.Equal("Liaa.Simulation", doubles.GetName().Name);
        Assert.Equal("Liaa.Bench", bench.GetName().Name);
        Assert.Equal(typeof(Liaa.Node.Rpc.InMemoryNetwork).Assembly, doubles);
        Assert.Equal(typeof(Liaa.Node.Simulation.ManualTimeProvider).Assembly, doubles);
        Assert.DoesNotContain(product.GetReferencedAssemblies(), name => name.Name is "Liaa.Simulation" or "Liaa.Bench");
        Assert.DoesNotContain(product.GetTypes(), t => LayerOf(t, Root) is "Simulation" or "Bench");
        Assert.DoesNotContain(product.GetTypes(), t => t.Name.StartsWith("InMemoryNetwork", StringComparison.Ordinal) || t.Name is "InMemoryDatagramTransport" or "IPathDelay");
    }

    // The checker itself, on the fixture types below: it must see a reference made only inside a
    // method body (a call), one made only in a signature, and one against the arrows between layers.
    [Fact]
    public void TheChecker_SeesForbiddenReferences_InBodiesSignaturesAndBetweenLayers()
    {
        const string fixtureRoot = "Liaa.Tests.Architecture.Fixture";
        var fixture = typeof(LayeringTests).Assembly.GetTypes().Where(t => t.Namespace?.StartsWith(fixtureRoot, StringComparison.Ordinal) == true).ToArray();

        var forbidden = ForbiddenReferences(fixture, ForbiddenInCore);
        var layering = LayerViolations(fixture, fixtureRoot, new() { ["Core"] = [], ["Outer"] = ["Core"] });

        Assert.Contains(forbidden, v => v.Contains("ReadsTheClock -> System.DateTimeOffset.get_UtcNow", StringComparison.Ordinal));
        Assert.Contains(forbidden, v => v.Contains("HoldsASocket -> System.Net.Sockets.Socket", StringComparison.Ordinal));
        Assert.DoesNotContain(forbidden, v => v.Contains("TakesTheTime", StringComparison.Ordinal));
        Assert.Equal([$"{fixtureRoot}.Core.CallsOutward -> {fixtureRoot}.Outer.Caller.Make"], layering);
    }

    private static string? LayerOf(Type type, string root)
    {
        var name = type.Namespace;
        if (name is null || !(name == root || name.StartsWith(root + ".", StringComparison.Ordinal)))
        {
            return null;
        }

        return name == root ? root : name[(root.Length + 1)..].Split('.')[0];
    }

    private static List<string> LayerViolations(IEnumerable<Type> types, string root, Dictionary<string, string[]> allowed) =>
        [.. types
            .Where(t => LayerOf(t, root) is { } layer && allowed.ContainsKey(layer))
            .SelectMany(TypeReferences.Of)
            .Where(r => LayerOf(r.To, root) is { } to && to != LayerOf(r.From, root) && !allowed[LayerOf(r.From, root)!].Contains(to))
            .Select(r => r.ToString())
            .Distinct()
            .Order(StringComparer.Ordinal)];

    private static List<string> ForbiddenReferences(IEnumerable<Type> types, string[] forbidden) =>
        [.. types
            .SelectMany(TypeReferences.Of)
            .Select(r => r.ToString())
            .Where(r => forbidden.Any(f => r.Split(" -> ")[1].StartsWith(f, StringComparison.Ordinal)))
            .Distinct()
            .Order(StringComparer.Ordinal)];
}

using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Liaa.AppHost;

/// <summary>
/// The cluster's shape, from section <c>Liaa:AppHost</c> (appsettings.json, environment variables such as
/// <c>Liaa__AppHost__Nodes</c>) or the command line (<c>-- --nodes 20 --port 9000 --projects true --node-build aot</c>).
/// Node <c>i</c> listens on UDP <see cref="Port"/> + i; node 0 is the seed the others join through.
/// </summary>
/// <remarks>
/// Every key under <c>Liaa:AppHost:NodeConfiguration</c> reaches every node as its own configuration:
/// <c>--Liaa:AppHost:NodeConfiguration:Liaa:Kademlia:K=5</c> gives each node <c>Liaa__Kademlia__K=5</c>.
/// </remarks>
internal sealed record ClusterSettings(
    int Nodes,
    int Port,
    bool NodesAsProjects,
    NodeBuild NodeBuild,
    bool ProcessMonitors,
    bool Prometheus,
    int PrometheusPort,
    TimeSpan ScrapeInterval,
    IReadOnlyDictionary<string, string> NodeConfiguration)
{
    public const string Section = "Liaa:AppHost";

    /// <summary>Short command-line switches for the keys of <see cref="Section"/>.</summary>
    public static readonly IDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--nodes"] = $"{Section}:Nodes",
        ["--port"] = $"{Section}:Port",
        ["--projects"] = $"{Section}:NodesAsProjects",
        ["--node-build"] = $"{Section}:NodeBuild",
        ["--process-monitors"] = $"{Section}:ProcessMonitors",
        ["--prometheus"] = $"{Section}:Prometheus",
        ["--scrape-interval"] = $"{Section}:ScrapeInterval",
        ["--prometheus-port"] = $"{Section}:PrometheusPort",
    };

    /// <summary>Reads the settings; every problem is named with its key at once.</summary>
    public static ClusterSettings Read(IConfiguration configuration, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        var section = configuration.GetSection(Section);
        var nodes = Int(section, "Nodes", 5, 1, 200, found);
        var port = Int(section, "Port", 8468, 1, 65535, found);
        if (found.Count == 0 && port + nodes - 1 > 65535)
        {
            found.Add($"{Section}:Port: {port} + {nodes} nodes runs past UDP port 65535.");
        }

        var scrape = TimeSpan.FromSeconds(5);
        if (section["ScrapeInterval"] is { Length: > 0 } scrapeText
            && (!TimeSpan.TryParse(scrapeText, CultureInfo.InvariantCulture, out scrape) || scrape < TimeSpan.FromSeconds(1) || scrape.TotalMilliseconds % 1000 != 0))
        {
            found.Add($"{Section}:ScrapeInterval: '{scrapeText}' is not a whole number of seconds, at least 00:00:01.");
            scrape = TimeSpan.FromSeconds(5);
        }

        var nodeConfiguration = section.GetSection("NodeConfiguration").AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal), pair => pair.Value!, StringComparer.Ordinal);
        var asProjects = Bool(section, "NodesAsProjects", false, found);
        var buildText = section["NodeBuild"]?.Trim();
        var build = buildText?.ToUpperInvariant() switch
        {
            null or "" or "JIT" => NodeBuild.Jit,
            "AOT" => NodeBuild.Aot,
            "COMPOSITE" => NodeBuild.Composite,
            _ => (NodeBuild?)null,
        };
        if (build is null)
        {
            found.Add($"{Section}:NodeBuild: '{buildText}' is not jit, aot or composite.");
        }

        if (build is NodeBuild.Aot or NodeBuild.Composite && asProjects)
        {
            found.Add($"{Section}:NodeBuild: {buildText!.ToLowerInvariant()} runs the nodes from their published executable, and NodesAsProjects runs them with dotnet run: choose one.");
        }

        problems = found;
        return new ClusterSettings(
            nodes,
            port,
            asProjects,
            build ?? NodeBuild.Jit,
            Bool(section, "ProcessMonitors", false, found),
            Bool(section, "Prometheus", true, found),
            Int(section, "PrometheusPort", 9090, 0, 65535, found),
            scrape,
            nodeConfiguration);
    }

    /// <summary>The resource name of node <paramref name="index"/>: the seed is <c>node-0</c>.</summary>
    public static string NodeName(int index) => "node-" + index.ToString(CultureInfo.InvariantCulture);

    public int UdpPort(int index) => Port + index;

    private static int Int(IConfigurationSection section, string key, int fallback, int min, int max, List<string> problems)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        problems.Add($"{Section}:{key}: '{text}' is not a whole number from {min} to {max}.");
        return fallback;
    }

    private static bool Bool(IConfigurationSection section, string key, bool fallback, List<string> problems)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        problems.Add($"{Section}:{key}: '{text}' is not true or false.");
        return fallback;
    }
}

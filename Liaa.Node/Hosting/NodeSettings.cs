using System.Globalization;
using System.Net;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Hosting;

/// <summary>
/// Reads a serving node's configuration (sections <c>Liaa:Node</c>, <c>Liaa:Kademlia</c>,
/// <c>Liaa:Transport</c>, <c>Liaa:Storage</c> from appsettings.json, environment variables such as
/// <c>Liaa__Kademlia__K</c>, and the command line) into <see cref="LiaaNodeOptions"/> plus the HTTP
/// endpoint, collecting every problem at once and naming the key at fault.
/// </summary>
internal sealed class NodeSettings
{
    public const string NodeSection = "Liaa:Node";

    /// <summary>The smallest API token accepted: shorter ones are guessable.</summary>
    public const int MinApiTokenLength = 16;

    private NodeSettings(LiaaNodeOptions node, IReadOnlyList<DnsEndPoint> seedNames, IPEndPoint http, string? name, string? apiToken, IReadOnlyList<string> problems)
    {
        Node = node;
        SeedNames = seedNames;
        Http = http;
        Name = name;
        ApiToken = apiToken;
        Problems = problems;
    }

    public LiaaNodeOptions Node { get; }

    /// <summary>Seeds given as HOST:PORT with a DNS name, resolved at every join attempt (<see cref="NamedSeeds"/>); IP:PORT seeds are in <see cref="LiaaNodeOptions.Seeds"/>.</summary>
    public IReadOnlyList<DnsEndPoint> SeedNames { get; }

    public IPEndPoint Http { get; }

    public string? Name { get; }

    /// <summary>
    /// The bearer token writes through the HTTP API must carry (<c>Liaa:Node:ApiToken</c>). Required when the
    /// API listens on anything but a loopback address; when set, required on loopback too.
    /// </summary>
    public string? ApiToken { get; }

    public IReadOnlyList<string> Problems { get; }

    public static NodeSettings Read(IConfiguration configuration)
    {
        var problems = new List<string>();
        var options = new LiaaNodeOptions();
        var node = configuration.GetSection(NodeSection);

        var address = IPAddress.Any;
        if (node["Address"] is { Length: > 0 } addressText && !IPAddress.TryParse(addressText, out address!))
        {
            problems.Add($"{NodeSection}:Address: '{addressText}' is not an IP address.");
            address = IPAddress.Any;
        }

        var port = ReadInt(node, "Port", 8468, 0, 65535, problems);
        options.EndPoint = new IPEndPoint(address, port);

        var seedNames = new List<DnsEndPoint>();
        foreach (var seed in node.GetSection("Seeds").GetChildren().Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)))
        {
            if (IPEndPoint.TryParse(seed!, out var endPoint) && endPoint.Port != 0)
            {
                options.Seeds.Add(endPoint);
            }
            else if (NamedSeeds.TryParse(seed!, out var named))
            {
                seedNames.Add(named!);
            }
            else
            {
                problems.Add($"{NodeSection}:Seeds: '{seed}' is not IP:PORT or HOST:PORT.");
            }
        }

        if (node["NodeId"] is { Length: > 0 } idText)
        {
            if (NodeId.TryParse(idText, out var id))
            {
                options.NodeId = id;
            }
            else
            {
                problems.Add($"{NodeSection}:NodeId: '{idText}' is not 40 hexadecimal digits.");
            }
        }

        var http = new IPEndPoint(IPAddress.Loopback, 0);
        if (node["Http"] is { Length: > 0 } httpText)
        {
            if (IPEndPoint.TryParse(httpText.Replace("http://", string.Empty, StringComparison.Ordinal).TrimEnd('/'), out var parsed))
            {
                http = parsed;
            }
            else
            {
                problems.Add($"{NodeSection}:Http: '{httpText}' is not IP:PORT.");
            }
        }

        // One call per options type, each with its static type, so the configuration binding source generator
        // writes the binding code (a node compiled ahead of time has no reflection-based binder).
        Bind(configuration, "Liaa:Kademlia", section => section.Bind(options.Kademlia, Strict), problems);
        Bind(configuration, "Liaa:Transport", section => section.Bind(options.Rpc, Strict), problems);
        Bind(configuration, "Liaa:Storage", section => section.Bind(options.Storage, Strict), problems);
        if (node["MaintenanceInterval"] is { Length: > 0 } interval)
        {
            if (TimeSpan.TryParse(interval, CultureInfo.InvariantCulture, out var parsed))
            {
                options.MaintenanceInterval = parsed;
            }
            else
            {
                problems.Add($"{NodeSection}:MaintenanceInterval: '{interval}' is not a time span (hh:mm:ss).");
            }
        }

        if (node["DataDirectory"] is { Length: > 0 } dataDirectory)
        {
            options.DataDirectory = dataDirectory;
        }

        var apiToken = node["ApiToken"] is { Length: > 0 } token ? token : null;
        if (apiToken is not null && apiToken.Length < MinApiTokenLength)
        {
            problems.Add($"{NodeSection}:ApiToken must be at least {MinApiTokenLength} characters long (is {apiToken.Length}).");
        }

        if (!IPAddress.IsLoopback(http.Address) && apiToken is null)
        {
            problems.Add(
                $"{NodeSection}:Http is {http}, not a loopback address: anyone who can reach it could write to the DHT. "
                + $"Set {NodeSection}:ApiToken (e.g. the environment variable Liaa__Node__ApiToken) to require it as a bearer token for writes, or bind the API to 127.0.0.1.");
        }

        problems.AddRange(options.Validate());
        return new NodeSettings(options, seedNames, http, node["Name"], apiToken, problems);
    }

    private static int ReadInt(IConfigurationSection section, string key, int fallback, int min, int max, List<string> problems)
    {
        var text = section[key];
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        problems.Add($"{section.Path}:{key}: '{text}' is not a whole number from {min} to {max}.");
        return fallback;
    }

    private static void Strict(BinderOptions options) => options.ErrorOnUnknownConfiguration = true;

    private static void Bind(IConfiguration configuration, string path, Action<IConfigurationSection> bind, List<string> problems)
    {
        try
        {
            bind(configuration.GetSection(path));
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{path}: {ex.Message}");
        }
    }
}

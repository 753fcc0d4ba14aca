using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Liaa.Node.Hosting;
using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Liaa.Tests.Deploy;

/// <summary>
/// The files under <c>deploy/</c>, read where they are in the repository, and what the node makes of the
/// settings they give it: the tests compare them with the node's own code, never with figures written twice.
/// </summary>
internal static partial class DeployFiles
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository's root (where Liaa.Aspire.sln is).</summary>
    public static string RepositoryRoot => Root.Value;

    public static string Directory => Path.Combine(RepositoryRoot, "deploy");

    public static string Kubernetes => Path.Combine(Directory, "k8s");

    public static string SystemdUnit => Path.Combine(Directory, "systemd", "liaa-node.service");

    public static string EnvironmentExample => Path.Combine(Directory, "systemd", "node.env.example");

    public static string Dockerfile => Path.Combine(Directory, "container", "Dockerfile");

    public static string PublishProfile => Path.Combine(RepositoryRoot, "Liaa.Node", "Properties", "PublishProfiles", "linux-x64.pubxml");

    /// <summary>The UDP port a node binds when nothing says otherwise (<see cref="NodeSettings"/>'s default).</summary>
    public static int DefaultUdpPort => NodeSettings.Read(new ConfigurationBuilder().Build()).Node.EndPoint.Port;

    /// <summary>Every YAML document of a file, as JSON (scalars are strings), in file order.</summary>
    public static IReadOnlyList<JsonObject> LoadYamlDocuments(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        var serializer = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(File.ReadAllText(path)));
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<object?>(parser) is { } document)
            {
                documents.Add(JsonNode.Parse(serializer.Serialize(document))!.AsObject());
            }
        }

        return documents;
    }

    /// <summary>
    /// What <see cref="NodeSettings"/> makes of environment variables (<c>Liaa__Node__Port</c> is
    /// <c>Liaa:Node:Port</c>, as the host's environment configuration reads them). Seeds are left out:
    /// they are checked against the names they must be (a host name is not an IP:PORT to this branch's settings).
    /// </summary>
    public static NodeSettings ReadNodeSettings(IEnumerable<KeyValuePair<string, string>> environment)
    {
        // A later setting of a name replaces an earlier one (an EnvironmentFile over the unit's Environment=).
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in environment.Where(e => e.Key.StartsWith("Liaa__", StringComparison.Ordinal) && !IsSeed(e.Key)))
        {
            values[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return NodeSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    /// <summary>The seeds among environment variables (<c>Liaa__Node__Seeds__N</c>), in index order.</summary>
    public static IReadOnlyList<string> Seeds(IEnumerable<KeyValuePair<string, string>> environment) =>
        environment.Where(e => IsSeed(e.Key))
            .OrderBy(e => int.Parse(e.Key[(e.Key.LastIndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .Select(e => e.Value)
            .ToList();

    /// <summary>Splits HOST:PORT (a host name, an IPv4 address or [IPv6]).</summary>
    public static (string Host, int Port) SplitHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        Assert.True(colon > 0, $"'{text}' is not HOST:PORT");
        Assert.True(int.TryParse(text.AsSpan(colon + 1), out var port) && port is > 0 and <= 65535, $"'{text}' has no port");
        return (text[..colon].Trim('[', ']'), port);
    }

    /// <summary>An IP endpoint a node binds its HTTP API to (<c>Liaa:Node:Http</c>), as the settings read it.</summary>
    public static IPEndPoint HttpEndPoint(IEnumerable<KeyValuePair<string, string>> environment) =>
        ReadNodeSettings(environment.Append(new("Liaa__Node__ApiToken", new string('t', NodeSettings.MinApiTokenLength)))).Http;

    private static bool IsSeed(string key) => SeedKey().IsMatch(key);

    [GeneratedRegex(@"^Liaa__Node__Seeds__\d+$")]
    private static partial Regex SeedKey();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Liaa.Aspire.sln")) && System.IO.Directory.Exists(Path.Combine(directory.FullName, "deploy")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No deploy/ folder next to Liaa.Aspire.sln above {AppContext.BaseDirectory}.");
    }
}

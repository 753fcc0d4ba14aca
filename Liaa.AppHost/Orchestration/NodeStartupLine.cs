using System.Net;
using System.Text.RegularExpressions;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The one line a node prints to stdout once it listens:
/// <c>Liaa node &lt;id&gt; listening on udp &lt;addr:port&gt; http &lt;url&gt;</c>. Parsing it gives the
/// node id and the endpoints as the node bound them, before its HTTP API is even asked.
/// </summary>
/// <param name="NodeId">The node id, lower-case hex.</param>
/// <param name="UdpEndpoint">The UDP endpoint as printed (possibly a wildcard address).</param>
/// <param name="HttpEndpoint">The HTTP base URL as printed.</param>
public sealed partial record NodeStartupLine(string NodeId, IPEndPoint UdpEndpoint, Uri HttpEndpoint)
{
    /// <summary>Parses <paramref name="line"/>; false for any other output.</summary>
    public static bool TryParse(string line, out NodeStartupLine? startup)
    {
        startup = null;
        var match = Pattern().Match(line);
        if (!match.Success
            || !IPEndPoint.TryParse(match.Groups["udp"].Value, out var udp)
            || !Uri.TryCreate(match.Groups["http"].Value.TrimEnd('/'), UriKind.Absolute, out var http))
        {
            return false;
        }

        startup = new NodeStartupLine(match.Groups["id"].Value.ToLowerInvariant(), udp, http);
        return true;
    }

    [GeneratedRegex(@"^Liaa node (?<id>[0-9A-Fa-f]+) listening on udp (?<udp>\S+) http (?<http>\S+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

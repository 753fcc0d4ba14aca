using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Liaa.AppHost;

/// <summary>
/// Checks, before anything starts, that the ports this AppHost needs on 127.0.0.1 are free: every
/// node's fixed UDP port, and the dashboard's browser, OTLP and resource-service ports from the launch
/// profile, and Prometheus's port. A second AppHost started while one runs then stops at once with one line per port taken
/// (and the process holding it, when <c>/proc</c> tells), instead of nodes failing one by one.
/// </summary>
/// <remarks>
/// A free port can still be taken between this check and the node binding it; the node then fails with
/// its own message and the dashboard shows it. Ports 0 (chosen by the system, as the tests do) are not
/// checked.
/// </remarks>
internal static class PortCheck
{
    /// <summary>The configuration keys holding the dashboard's URLs (set by the launch profile).</summary>
    private static readonly string[] DashboardUrlKeys =
        ["ASPNETCORE_URLS", "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL", "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"];

    /// <summary>Every port that is taken, described for a person; empty when all are free.</summary>
    public static IReadOnlyList<string> FindTaken(ClusterSettings settings, IConfiguration configuration)
    {
        var taken = new List<string>();
        for (var i = 0; i < settings.Nodes; i++)
        {
            var port = settings.UdpPort(i);
            if (!IsFree(ProtocolType.Udp, port))
            {
                taken.Add($"UDP {port} ({ClusterSettings.NodeName(i)}) is taken{Holder("udp", port)}");
            }
        }

        if (settings.Prometheus && settings.PrometheusPort > 0 && !IsFree(ProtocolType.Tcp, settings.PrometheusPort))
        {
            taken.Add($"TCP {settings.PrometheusPort} (Prometheus) is taken{Holder("tcp", settings.PrometheusPort)}");
        }

        foreach (var key in DashboardUrlKeys)
        {
            foreach (var url in (configuration[key] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Port > 0 && !IsFree(ProtocolType.Tcp, uri.Port))
                {
                    taken.Add($"TCP {uri.Port} ({key} {url}) is taken{Holder("tcp", uri.Port)}");
                }
            }
        }

        return taken;
    }

    private static bool IsFree(ProtocolType protocol, int port)
    {
        try
        {
            using var socket = protocol == ProtocolType.Udp
                ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>" by pid N (command)" from /proc on Linux when the socket's owner is visible to us; else empty.</summary>
    private static string Holder(string protocol, int port)
    {
        try
        {
            var inodes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var table in new[] { $"/proc/net/{protocol}", $"/proc/net/{protocol}6" }.Where(File.Exists))
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length > 9 && int.TryParse(fields[1].AsSpan(fields[1].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var local) && local == port)
                    {
                        inodes.Add($"socket:[{fields[9]}]");
                    }
                }
            }

            foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")))
                    {
                        if (new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target))
                        {
                            var command = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ').Trim();
                            return $" by pid {Path.GetFileName(process)} ({(command.Length > 120 ? command[..120] + "…" : command)})";
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's process, or one that just ended.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc: say only that the port is taken.
        }

        return string.Empty;
    }
}

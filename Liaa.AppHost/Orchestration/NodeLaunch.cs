using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The command line and environment a node is started with. Pure functions of the options and the
/// AppHost's own environment, so the wiring (seeds, ports, OpenTelemetry) is unit-tested without
/// starting anything.
/// </summary>
internal static class NodeLaunch
{
    /// <summary>Set to the AppHost's pid; the node's ParentWatcher exits when that process is gone.</summary>
    public const string ParentPidVariable = "LIAA_PARENT_PID";

    // Variables that would make Kestrel listen somewhere other than the --http the AppHost chose.
    private static readonly string[] InheritedUrlVariables =
        ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS"];

    /// <summary><c>serve --port &lt;udp&gt; [--seed host:port]… --http host:port --name name</c>.</summary>
    public static IReadOnlyList<string> BuildArguments(string name, string host, int udpPort, int httpPort, IEnumerable<IPEndPoint> seeds)
    {
        var arguments = new List<string> { "serve", "--port", udpPort.ToString(CultureInfo.InvariantCulture) };
        foreach (var seed in seeds)
        {
            arguments.Add("--seed");
            arguments.Add(seed.ToString());
        }

        arguments.Add("--http");
        arguments.Add(FormatHostPort(host, httpPort));
        arguments.Add("--name");
        arguments.Add(name);
        return arguments;
    }

    /// <summary>
    /// What to change in the inherited environment (a null value removes the variable):
    /// the parent pid, the service name and instance, the OTLP endpoint (<paramref name="telemetry"/>, else
    /// <see cref="LiaaClusterOptions.Telemetry"/>, else <see cref="LiaaClusterOptions.OtlpEndpoint"/>) unless the user has their own,
    /// Aspire's short export delays for a live dashboard, then <see cref="LiaaClusterOptions.Environment"/>.
    /// </summary>
    public static Dictionary<string, string?> BuildEnvironment(
        string name,
        LiaaClusterOptions options,
        Func<string, string?> inherited,
        int parentPid,
        IClusterTelemetry? telemetry = null)
    {
        telemetry ??= options.Telemetry;
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [ParentPidVariable] = parentPid.ToString(CultureInfo.InvariantCulture),
            ["OTEL_SERVICE_NAME"] = name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = ResourceAttributes(name, inherited("OTEL_RESOURCE_ATTRIBUTES")),
        };

        foreach (var variable in InheritedUrlVariables)
        {
            if (inherited(variable) is not null)
            {
                environment[variable] = null;
            }
        }

        var userEndpoint = inherited("OTEL_EXPORTER_OTLP_ENDPOINT");
        var passThrough = options.PassThroughUserOtlpEndpoint && !string.IsNullOrWhiteSpace(userEndpoint);
        var endpoint = telemetry?.Endpoint ?? options.OtlpEndpoint;
        if (!passThrough && endpoint is not null)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.ToString().TrimEnd('/');
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = telemetry?.Protocol ?? options.OtlpProtocol;

            // Aspire's development defaults: batches leave every second, so the dashboard is live.
            SetUnlessInherited(environment, inherited, "OTEL_BSP_SCHEDULE_DELAY", "1000");
            SetUnlessInherited(environment, inherited, "OTEL_BLRP_SCHEDULE_DELAY", "1000");
            SetUnlessInherited(environment, inherited, "OTEL_METRIC_EXPORT_INTERVAL", "1000");
        }

        // Workstation GC: Web SDK apps default to server GC, one heap per core in every node; with
        // dozens of nodes on one machine that only costs memory and start-up time.
        SetUnlessInherited(environment, inherited, "DOTNET_gcServer", "0");

        foreach (var (key, value) in options.Environment)
        {
            environment[key] = value;
        }

        return environment;
    }

    public static ProcessStartInfo CreateStartInfo(NodeProgram program, IEnumerable<string> nodeArguments, IReadOnlyDictionary<string, string?> environment)
    {
        var startInfo = new ProcessStartInfo(program.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = program.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in program.Arguments.Concat(nodeArguments))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(key);
            }
            else
            {
                startInfo.Environment[key] = value;
            }
        }

        return startInfo;
    }

    public static string FormatHostPort(string host, int port) =>
        IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port).ToString() : $"{host}:{port}";

    private static string ResourceAttributes(string name, string? inherited)
    {
        // Ours replace the user's for the same key rather than relying on how duplicates resolve.
        var ours = new[] { ("service.namespace", "liaa"), ("service.instance.id", name) };
        var kept = (inherited ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(pair => !ours.Any(o => pair.StartsWith(o.Item1 + "=", StringComparison.Ordinal)));
        return string.Join(',', kept.Concat(ours.Select(o => $"{o.Item1}={o.Item2}")));
    }

    private static void SetUnlessInherited(Dictionary<string, string?> environment, Func<string, string?> inherited, string key, string value)
    {
        if (string.IsNullOrEmpty(inherited(key)))
        {
            environment[key] = value;
        }
    }
}

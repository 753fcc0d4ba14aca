using System.CommandLine;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The AppHost's command line. Options override configuration (<c>appsettings.json</c> next to the
/// AppHost, then <c>Liaa__AppHost__*</c> environment variables); an option that is not given leaves
/// the configured value alone.
/// </summary>
internal static class AppHostCommandLine
{
    private static readonly Option<int?> NodesOption = new("--nodes")
    {
        Description = "Nodes in all, the seed included (default 5; Liaa:AppHost:Nodes)",
        HelpName = "N",
    };

    private static readonly Option<int?> SeedPortOption = new("--seed-port")
    {
        Description = "The seed's UDP port (default 8468; 0 picks a free port)",
        HelpName = "PORT",
    };

    private static readonly Option<bool> PrometheusOption = new("--prometheus")
    {
        Description = "Start Prometheus on 127.0.0.1:9090 (default: when it is on PATH)",
    };

    private static readonly Option<bool> NoPrometheusOption = new("--no-prometheus")
    {
        Description = "Do not start Prometheus",
    };

    private static readonly Option<int?> DashboardPortOption = new("--dashboard-port")
    {
        Description = "The dashboard's port on 127.0.0.1 (default 18888)",
        HelpName = "PORT",
    };

    private static readonly Option<bool> RestartCrashedOption = new("--restart-crashed")
    {
        Description = "Restart nodes that crash (default: report them and leave them down)",
    };

    /// <summary>Parses <paramref name="args"/> and runs the AppHost until Ctrl+C; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = CreateRootCommand();
        root.SetAction((parseResult, _) =>
        {
            if (!TryResolve(parseResult, LoadConfiguration(), out var options, out var problems))
            {
                foreach (var problem in problems)
                {
                    Console.Error.WriteLine(problem);
                }

                return Task.FromResult(2);
            }

            return AppHostRunner.RunAsync(options!);
        });

        // The runner handles SIGINT/SIGTERM itself: a graceful stop of many nodes can take longer than
        // System.CommandLine's termination timeout, and a second Ctrl+C must kill at once.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    public static RootCommand CreateRootCommand() => new("Liaa AppHost: runs a local Liaa cluster (a seed and more nodes), supervised, until Ctrl+C.")
    {
        NodesOption,
        SeedPortOption,
        PrometheusOption,
        NoPrometheusOption,
        DashboardPortOption,
        RestartCrashedOption,
    };

    /// <summary>
    /// The AppHost's <c>appsettings.json</c>, which the build copies next to the AppHost as
    /// <see cref="SettingsFileName"/> (the node's own <c>appsettings.json</c> lives there too, and
    /// the nodes read it), then the environment.
    /// </summary>
    public static IConfiguration LoadConfiguration() =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, SettingsFileName), optional: true)
            .AddEnvironmentVariables()
            .Build();

    /// <summary>The name of the AppHost's settings file in its output directory.</summary>
    public const string SettingsFileName = "Liaa.AppHost.settings.json";

    /// <summary>Configuration, then the options given on the command line; false with every problem named when invalid.</summary>
    public static bool TryResolve(ParseResult parseResult, IConfiguration configuration, out AppHostOptions? options, out IReadOnlyList<string> problems)
    {
        var resolved = configuration.GetSection(AppHostOptions.SectionName).Get<AppHostOptions>() ?? new AppHostOptions();
        var errors = new List<string>();
        if (parseResult.GetValue(NodesOption) is { } nodes)
        {
            resolved.Nodes = nodes;
        }

        if (parseResult.GetValue(SeedPortOption) is { } seedPort)
        {
            resolved.SeedPort = seedPort;
        }

        if (parseResult.GetValue(DashboardPortOption) is { } dashboardPort)
        {
            resolved.DashboardPort = dashboardPort;
        }

        var prometheus = parseResult.GetValue(PrometheusOption);
        var noPrometheus = parseResult.GetValue(NoPrometheusOption);
        if (prometheus && noPrometheus)
        {
            errors.Add("--prometheus and --no-prometheus cannot both be given.");
        }
        else if (prometheus || noPrometheus)
        {
            resolved.Prometheus.Enabled = prometheus;
        }

        if (parseResult.GetValue(RestartCrashedOption))
        {
            resolved.RestartPolicy = NodeRestartPolicy.OnCrash;
        }

        errors.AddRange(resolved.Validate());
        problems = errors;
        options = errors.Count == 0 ? resolved : null;
        return options is not null;
    }
}

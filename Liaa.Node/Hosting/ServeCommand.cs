using System.CommandLine;
using System.Globalization;
using Liaa.Node.Api;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;
using Liaa.ServiceDefaults;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpenTelemetry.Resources;

namespace Liaa.Node.Hosting;

/// <summary>
/// <c>serve</c>: a node on UDP with its HTTP API, health, <c>/metrics</c> and OpenTelemetry, until
/// Ctrl+C. Command-line options override environment variables, which override appsettings.json.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "UDP port to listen on (default 8468; 0 picks a free one)." };
        var address = new Option<string?>("--address") { Description = "IP address to bind the UDP socket to (default 0.0.0.0; :: for dual-stack)." };
        var seeds = new Option<string[]>("--seed") { Description = "A node to join through, as IP:PORT or HOST:PORT with a DNS name, resolved again at every join attempt (repeatable). None starts a new network." };
        var http = new Option<string?>("--http") { Description = "IP:PORT of the HTTP API, health and /metrics (default 127.0.0.1:0, a free port)." };
        var name = new Option<string?>("--name") { Description = "A name for logs and the AppHost (e.g. node-0)." };
        var nodeId = new Option<string?>("--node-id") { Description = "A fixed node id of 40 hexadecimal digits (default: random, or the one saved in --data)." };
        var data = new Option<string?>("--data")
        {
            Description = "A directory where the node keeps its id, contacts and values across restarts (default: memory only).",
        };
        var command = new Command("serve", "Run a Kademlia node until Ctrl+C.") { port, address, seeds, http, name, nodeId, data };
        command.SetAction((parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(port) is { } p)
            {
                overrides[$"{NodeSettings.NodeSection}:Port"] = p.ToString(CultureInfo.InvariantCulture);
            }

            Put(overrides, "Address", parse.GetValue(address));
            Put(overrides, "Http", parse.GetValue(http));
            Put(overrides, "Name", parse.GetValue(name));
            Put(overrides, "NodeId", parse.GetValue(nodeId));
            Put(overrides, "DataDirectory", parse.GetValue(data));
            var seedValues = parse.GetValue(seeds) ?? [];
            for (var i = 0; i < seedValues.Length; i++)
            {
                overrides[$"{NodeSettings.NodeSection}:Seeds:{i}"] = seedValues[i];
            }

            return RunAsync(overrides, cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// What the node adds to the OpenTelemetry resource: the node id as <c>liaa.node.id</c> and its name as
    /// <c>liaa.node.name</c>. <c>service.instance.id</c> stays whatever <c>OTEL_RESOURCE_ATTRIBUTES</c> says
    /// (Aspire gives one per resource); a node started by hand, given none, uses its node id.
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, object>> NodeResourceAttributes(NodeSettings settings, IConfiguration configuration)
    {
        var nodeId = settings.Node.NodeId?.ToString() ?? string.Empty;
        yield return new(LiaaDiagnostics.NodeIdAttribute, nodeId);
        if (settings.Name is { } name)
        {
            yield return new(LiaaDiagnostics.NodeNameAttribute, name);
        }

        var environment = configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? string.Empty;
        if (!environment.Split(',').Any(pair => pair.Split('=')[0].Trim() == "service.instance.id"))
        {
            yield return new("service.instance.id", nodeId);
        }
    }

    private static void Put(Dictionary<string, string?> overrides, string key, string? value)
    {
        if (value is not null)
        {
            overrides[$"{NodeSettings.NodeSection}:{key}"] = value;
        }
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(overrides);
        var settings = NodeSettings.Read(builder.Configuration);
        if (settings.Problems.Count > 0)
        {
            await Console.Error.WriteLineAsync("error: invalid configuration:").ConfigureAwait(false);
            foreach (var problem in settings.Problems)
            {
                await Console.Error.WriteLineAsync($"  {problem}").ConfigureAwait(false);
            }

            return NodeCommandLine.Failure;
        }

        // The id is settled here so telemetry can carry it as liaa.node.id from the first span:
        // the one saved in the data directory, else a new one (which the node then saves there).
        try
        {
            settings.Node.NodeId ??= (settings.Node.DataDirectory is { } directory ? NodeDataDirectory.ReadNodeId(directory) : null)
                ?? Kademlia.NodeId.NewRandom();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return NodeCommandLine.Failure;
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(settings.Http, listen => listen.UseProblemDetailsForRejections()));
        // A serve process sends no HTTP request of its own: no HttpClient instrumentation (ServiceDefaultsOptions).
        builder.AddServiceDefaults(new ServiceDefaultsOptions { InstrumentHttpClient = false });
        builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddAttributes(NodeResourceAttributes(settings, builder.Configuration)));
        builder.Services.AddSingleton(settings.Node);
        builder.Services.AddSingleton(new NamedSeeds(settings.SeedNames));
        builder.Services.AddSingleton(new ApiAccess(settings.ApiToken));
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(sp => new NodeMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddSingleton<NodeHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeHost>());
        builder.Services.AddSingleton<IRunningNode>(sp => sp.GetRequiredService<NodeHost>());
        builder.Services.AddHealthChecks().AddCheck<NodeHost>("kademlia");

        // The health check service logs every unhealthy answer at Error, so a starting node polled by the AppHost wrote an
        // error line per request until it joined; NodeHost logs readiness once per change instead ("self" never fails).
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.None);

        await using var app = builder.Build();

        // Under the AppHost (or a bench): exit with it, however it dies (its pipe to our stdin closes). A node with a data
        // directory stops gracefully, saving its contacts; one without has nothing to save: it exits at once (its graceful
        // stop kept a bench's nodes alive seconds after the bench was killed, on a loaded machine).
        using var parentWatcher = ParentWatcher.StartIfRequested(settings.Node.DataDirectory is null ? null : app.Lifetime);
        // Anything the endpoints do not answer themselves (no route, wrong method, a query that does not bind,
        // an unexpected exception) still gets problem details with its status, never an empty page.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        app.MapNodeApi();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return NodeCommandLine.Failure;
        }

        var node = app.Services.GetRequiredService<NodeHost>().Node;
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Console.WriteLine($"Liaa node {node.Id} listening on udp {node.EndPoint} http {url}");
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return NodeCommandLine.Success;
    }
}

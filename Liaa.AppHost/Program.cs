// The Liaa cluster as an Aspire app model: node-0 (the seed, UDP 8468 by default) and the nodes that
// join through it, the DHT explorer, and Prometheus when it is installed. DCP runs the processes; the
// Aspire dashboard shows their state, console and structured logs, traces and metrics, and the Liaa
// commands. Settings: ClusterSettings (README "Running a cluster").
using Liaa.AppHost;
using Liaa.AppHost.Prometheus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var builder = DistributedApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, ClusterSettings.SwitchMappings);

// Aspire's version check runs `dotnet package search Aspire.Hosting.AppHost` (a second .NET CLI process with NuGet)
// at every start of an AppHost without user secrets, beside DCP's start; Liaa pins its Aspire version in
// Directory.Packages.props, so it is off unless asked for (ASPIRE_VERSION_CHECK_DISABLED=false).
builder.Configuration["ASPIRE_VERSION_CHECK_DISABLED"] ??= "true";
var settings = ClusterSettings.Read(builder.Configuration, out var problems);
if (problems.Count > 0)
{
    Console.Error.WriteLine("error: invalid settings:");
    problems.ToList().ForEach(p => Console.Error.WriteLine("  " + p));
    return 2;
}

var taken = PortCheck.FindTaken(settings, builder.Configuration);
if (taken.Count > 0)
{
    Console.Error.WriteLine("error: this cluster's ports are in use (another Liaa AppHost, or a node started by hand?):");
    taken.ToList().ForEach(t => Console.Error.WriteLine("  " + t));
    Console.Error.WriteLine($"Stop it, or start this one elsewhere: dotnet run --project Liaa.AppHost -- --port {settings.Port + 1000} --prometheus-port 0");
    Console.Error.WriteLine("(and for the dashboard: --no-launch-profile with ASPNETCORE_URLS, ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL, ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL and ASPIRE_ALLOW_UNSECURED_TRANSPORT=true set).");
    return 1;
}

// DCP starts a `dcp monitor-process` beside every process it starts (the nodes, the dashboard, the explorer, Prometheus),
// which kills that process should DCP itself die without stopping it: ~0.2-0.3 s of CPU and ~55 MB of RSS each, on the
// way to every node's start (5 nodes: DCP's CPU by the time all were healthy 2.6-3.0 s with them, 1.4 s without; RSS 664
// against 193 MB; BENCHMARKS.md, "AppHost start-up with Native AOT nodes"). DCP still stops everything it started when
// the AppHost ends, however it ends (it watches the AppHost's pid), so Ctrl+C and kill -9 of the AppHost leave nothing;
// only a crash of DCP itself would. Kept on with --process-monitors true, or with the variable set by the user. Set by
// DCP's wrapper script (DcpCertificate), for DCP alone; only where there is no wrapper (Windows, a DCP of the user's
// choosing) in this process's environment, which DCP inherits.
var dcpEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
if (!settings.ProcessMonitors && Environment.GetEnvironmentVariable("DCP_DISABLE_MONITOR_PROCESS") is null)
{
    dcpEnvironment["DCP_DISABLE_MONITOR_PROCESS"] = "1";
}

if (!DcpCertificate.Use(builder, dcpEnvironment))
{
    foreach (var (name, value) in dcpEnvironment)
    {
        Environment.SetEnvironmentVariable(name, value);
    }
}
var links = new DashboardLinks(builder.Configuration);
var explorer = builder.AddLiaaExplorer(settings);
var explorerUrl = explorer.Resource.GetEndpoint("http");

var nodes = builder.AddLiaaNodes(settings, node => node
    .WithLiaaCommands(links)
    .WithUrl(ReferenceExpression.Create($"{explorerUrl}/?node={node.Resource.Name}"), "DHT explorer"));
var explorerEnvironment = builder.CreateResourceBuilder((IResourceWithEnvironment)explorer.Resource)
    .WithEnvironment(context =>
    {
        // Where the explorer links a recorded lookup's trace (none when the dashboard is off).
        if (links.Base(context.ExecutionContext.Services) is { } dashboard)
        {
            context.EnvironmentVariables["Explorer__Dashboard"] = dashboard.AbsoluteUri;
        }
    });
// The explorer draws what the nodes answer, so it starts once they are healthy: its own start (about 1.4 s of CPU)
// is then not competing with theirs on a small machine. Its health check says when it serves.
var explorerWaits = builder.CreateResourceBuilder((IResourceWithWaitSupport)explorer.Resource);
explorer.WithHttpHealthCheck("/health", endpointName: "http");
foreach (var node in nodes)
{
    explorerEnvironment.WithReference(node.GetEndpoint("http"));
    explorerWaits.WaitFor(builder.CreateResourceBuilder(node));
}

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHostedService<LauncherWatch>();
builder.Services.AddHostedService(sp => new NodeProperties(nodes, sp.GetRequiredService<ResourceNotificationService>(), sp.GetRequiredService<TimeProvider>()));

if (settings.Prometheus)
{
    if (PrometheusResources.FindOnPath() is { } prometheus)
    {
        builder.AddLiaaPrometheus(prometheus, nodes, settings.PrometheusPort, settings.ScrapeInterval);
    }
    else
    {
        Console.WriteLine("Prometheus: not started (no 'prometheus' on PATH; on Debian: apt-get install prometheus).");
    }
}

if (settings.NodeBuild != NodeBuild.Jit)
{
    // Published (only when the node's sources changed) once the app starts, before DCP, the dashboard and the nodes do;
    // not while the model is built, so a test can read the model without compiling.
    var published = LiaaNodes.Published(settings.NodeBuild);
    builder.Eventing.Subscribe<BeforeStartEvent>(async (_, cancellationToken) => await published.EnsureBuiltAsync(Console.Out, cancellationToken).ConfigureAwait(false));
}

try
{
    builder.Build().Run();
}
catch (Exception ex) when (ex is NodeBuildException || ex.InnerException is NodeBuildException)
{
    Console.Error.WriteLine((ex as NodeBuildException ?? ex.InnerException)!.Message);
    return 3;
}

return 0;

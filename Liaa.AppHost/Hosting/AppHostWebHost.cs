using System.Net;
using System.Net.Sockets;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Liaa.AppHost.Hosting;

/// <summary>
/// The AppHost's one web application, on 127.0.0.1: the OTLP receiver the nodes export to (an
/// HTTP/1.1 listener for <c>http/protobuf</c> and an HTTP/2-only listener for <c>grpc</c>, free ports
/// by default) and the dashboard listener (<see cref="AppHostWebHostOptions.DashboardPort"/>, 18888).
/// </summary>
/// <remarks>
/// <para>
/// Two phases, because the nodes must know the receiver before they start and the web application
/// should know the cluster before it serves: construct (the store and receiver exist), hand
/// <see cref="TelemetryFor"/> to <see cref="LiaaClusterOptions.Telemetry"/>, create the cluster, then
/// <see cref="StartAsync"/> with it (before the cluster starts). Dispose after the cluster: stopping
/// nodes flush their last telemetry on the way out.
/// </para>
/// <para>
/// Extension points. The services hold the <see cref="LiaaCluster"/>, the <see cref="TelemetryStore"/>,
/// the <see cref="OtlpReceiver"/> and this host. The dashboard (<c>Liaa.AppHost/Dashboard</c>, issue 6)
/// plugs in by implementing <see cref="ConfigureDashboard"/> and <see cref="MapDashboard"/> in its own
/// part of this partial class, so nothing here changes when it lands; anything else (tests) uses
/// <see cref="AppHostWebHostOptions.ConfigureBuilder"/> and <see cref="AppHostWebHostOptions.MapEndpoints"/>.
/// Endpoints answer on every listener except that the two OTLP listeners serve only the OTLP paths
/// (<c>POST /v1/traces|metrics|logs</c> and the three gRPC <c>Export</c> methods), so dashboard pages
/// never appear on a receiver port; the dashboard must not map those six paths itself.
/// </para>
/// </remarks>
internal sealed partial class AppHostWebHost : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private static readonly HashSet<string> OtlpPaths = new(
        Enum.GetValues<OtlpSignal>().SelectMany(s => new[] { s.HttpPath(), s.GrpcPath() }),
        StringComparer.OrdinalIgnoreCase);

    private WebApplication? _app;
    private ListenOptions? _dashboardListener;
    private string? _dashboardPath;
    private LiaaCluster? _cluster;

    public AppHostWebHost(AppHostWebHostOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new AppHostWebHostOptions();
        Store = new TelemetryStore(Options.Store, timeProvider);
        Receiver = new OtlpReceiver(Store, new OtlpReceiverOptions
        {
            Address = Options.Address,
            HttpPort = Options.OtlpHttpPort,
            GrpcPort = Options.OtlpGrpcPort,
        });
    }

    public AppHostWebHostOptions Options { get; }

    /// <summary>What the nodes sent: spans, metric points and logs, bounded, newest kept.</summary>
    public TelemetryStore Store { get; }

    /// <summary>The OTLP receiver; its endpoints are known once started.</summary>
    public OtlpReceiver Receiver { get; }

    /// <summary>The cluster given to <see cref="StartAsync"/>.</summary>
    public LiaaCluster Cluster => _cluster ?? throw new InvalidOperationException("Start the web host first.");

    /// <summary>The running application's services, once started.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("Start the web host first.");

    /// <summary>The dashboard listener's base URL once started, e.g. <c>http://127.0.0.1:18888/</c>; null when it has none.</summary>
    public Uri? DashboardListenerUrl =>
        _app is not null && _dashboardListener?.IPEndPoint is { Port: > 0 } endpoint
            ? new UriBuilder(Uri.UriSchemeHttp, endpoint.Address.ToString(), endpoint.Port).Uri
            : null;

    /// <summary>The dashboard's start page, when a dashboard is mapped and listening; null otherwise.</summary>
    public Uri? DashboardUrl => DashboardListenerUrl is { } listener && _dashboardPath is { } path ? new Uri(listener, path) : null;

    /// <summary>Why the dashboard listener is not open although a port was configured (e.g. the port is taken); null when it is.</summary>
    public string? DashboardProblem { get; private set; }

    /// <summary>The receiver as the cluster's <see cref="LiaaClusterOptions.Telemetry"/>: nodes export to it over <paramref name="protocol"/>.</summary>
    public ClusterTelemetry TelemetryFor(string protocol) => new(Receiver, protocol);

    /// <summary>
    /// Builds and starts the application: the OTLP listeners and, when configured and free, the
    /// dashboard listener. A taken dashboard port is reported in <see cref="DashboardProblem"/>
    /// (unless <see cref="AppHostWebHostOptions.ContinueWithoutDashboardPort"/> is false, then it throws).
    /// </summary>
    /// <exception cref="IOException">A listener could not be bound.</exception>
    public async Task StartAsync(LiaaCluster cluster, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (_app is not null)
        {
            throw new InvalidOperationException("The web host was already started.");
        }

        _cluster = cluster;
        var dashboardPort = Options.DashboardPort;
        try
        {
            await StartAppAsync(withDashboard: dashboardPort is not null, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (dashboardPort is > 0 && Options.ContinueWithoutDashboardPort && IsTaken(Options.Address, dashboardPort.Value))
        {
            DashboardProblem = $"port {dashboardPort} on {Options.Address} is in use (choose another with --dashboard-port)";
            await StartAppAsync(withDashboard: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the application (bounded) and releases its ports. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is null)
        {
            return;
        }

        using var stop = new CancellationTokenSource(StopTimeout);
        try
        {
            await app.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Requests still running are abandoned; disposing closes their connections.
        }

        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The dashboard's services (implemented in <c>Liaa.AppHost/Dashboard</c>; without it this call compiles to nothing).</summary>
    static partial void ConfigureDashboard(WebApplicationBuilder builder, AppHostWebHost host);

    /// <summary>
    /// The dashboard's endpoints and middleware (implemented in <c>Liaa.AppHost/Dashboard</c>). It sets
    /// <paramref name="startPath"/> to its start page (e.g. <c>/</c>), which the AppHost prints;
    /// left null, the AppHost reports that there is no dashboard.
    /// </summary>
    static partial void MapDashboard(WebApplication app, AppHostWebHost host, ref string? startPath);

    /// <summary>Builds and starts the application; one that fails to start is disposed, releasing what it bound.</summary>
    private async Task StartAppAsync(bool withDashboard, CancellationToken cancellationToken)
    {
        var app = Build(withDashboard);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _app = app;
    }

    private WebApplication Build(bool withDashboard)
    {
        // The content root is the AppHost's output directory, not the current one: `dotnet run
        // --project Liaa.AppHost` runs from anywhere, and the dashboard's files are next to the binary.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AppHostWebHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        Options.ConfigureLogging?.Invoke(builder.Logging);

        _dashboardListener = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The dashboard listener first: when its port is taken, binding fails before any other.
            if (withDashboard)
            {
                kestrel.Listen(Options.Address, Options.DashboardPort!.Value, listen => _dashboardListener = listen);
            }

            Receiver.ConfigureListeners(kestrel);
        });
        // The AppHost handles Ctrl+C itself, and the receiver must outlive the nodes' last flush:
        // no console lifetime stopping this application on a signal.
        builder.Services.AddSingleton<IHostLifetime, ExternallyStoppedLifetime>();
        builder.Services.AddSingleton(Cluster);
        builder.Services.AddSingleton(Store);
        builder.Services.AddSingleton(Receiver);
        builder.Services.AddSingleton(this);
        if (withDashboard)
        {
            ConfigureDashboard(builder, this);
        }

        foreach (var configure in Options.ConfigureBuilder)
        {
            configure(builder);
        }

        var app = builder.Build();
        app.Use((context, next) =>
        {
            if (IsOtlpListener(context.Connection.LocalPort) && !OtlpPaths.Contains(context.Request.Path.Value ?? string.Empty))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.MapOtlpReceiver(Receiver);
        _dashboardPath = null;
        if (withDashboard)
        {
            string? startPath = null;
            MapDashboard(app, this, ref startPath);
            _dashboardPath = startPath;
        }

        foreach (var map in Options.MapEndpoints)
        {
            map(app);
        }

        return app;
    }

    /// <summary>A host lifetime that ignores signals: <see cref="DisposeAsync"/> is the only way this application stops.</summary>
    private sealed class ExternallyStoppedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private bool IsOtlpListener(int localPort) =>
        localPort == Receiver.HttpEndpoint.Port || localPort == Receiver.GrpcEndpoint.Port;

    private static bool IsTaken(IPAddress address, int port)
    {
        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}

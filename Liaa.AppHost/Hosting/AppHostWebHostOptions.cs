using System.Net;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Hosting;

/// <summary>Where the AppHost's web application listens, how much telemetry it keeps, and what else it serves.</summary>
internal sealed class AppHostWebHostOptions
{
    /// <summary>Address of every listener.</summary>
    /// <value>Default 127.0.0.1: the AppHost and its nodes are local.</value>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Port of the dashboard listener; 0 picks a free port, null opens none.</summary>
    /// <value>Default 18888 (Aspire's dashboard port).</value>
    public int? DashboardPort { get; set; } = 18888;

    /// <summary>
    /// When <see cref="DashboardPort"/> is taken (another AppHost, a test), run without the dashboard
    /// listener and say why in <see cref="AppHostWebHost.DashboardProblem"/>, rather than fail: the
    /// cluster and its telemetry are worth more than the page.
    /// </summary>
    /// <value>Default true.</value>
    public bool ContinueWithoutDashboardPort { get; set; } = true;

    /// <summary>Port of the OTLP <c>http/protobuf</c> listener; 0 picks a free port.</summary>
    /// <value>Default 0 (the OTLP convention, 4318, is often taken by a local collector).</value>
    public int OtlpHttpPort { get; set; }

    /// <summary>Port of the OTLP <c>grpc</c> listener; 0 picks a free port.</summary>
    /// <value>Default 0 (the OTLP convention, 4317, is often taken by a local collector).</value>
    public int OtlpGrpcPort { get; set; }

    /// <summary>How much of what the nodes send is kept in memory (newest kept).</summary>
    public TelemetryStoreOptions Store { get; set; } = new();

    /// <summary>Logging of the web application itself (ASP.NET Core, Kestrel, the receiver); by default none.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>Run on the builder after the AppHost's own services are registered (add services, configure Kestrel further).</summary>
    public List<Action<WebApplicationBuilder>> ConfigureBuilder { get; } = [];

    /// <summary>Run on the application after the OTLP endpoints are mapped, before it starts (map endpoints, add middleware).</summary>
    public List<Action<WebApplication>> MapEndpoints { get; } = [];
}

using Liaa.AppHost.Orchestration.Prometheus;

namespace Liaa.AppHost.Orchestration;

/// <summary>How a <see cref="LiaaCluster"/> launches and supervises its nodes.</summary>
public sealed class LiaaClusterOptions
{
    /// <summary>The UDP port Liaa and the Python <c>kademlia</c> examples use by default.</summary>
    public const int DefaultSeedPort = 8468;

    /// <summary>Nodes started by <see cref="LiaaCluster.StartAsync(CancellationToken)"/>, the seed included.</summary>
    /// <value>Default 5; at least 1.</value>
    public int Nodes { get; set; } = 5;

    /// <summary>The seed's UDP port, so <c>get/put --seed 127.0.0.1:8468</c> works at once; 0 picks a free port (tests).</summary>
    /// <value>Default 8468.</value>
    public int SeedPort { get; set; } = DefaultSeedPort;

    /// <summary>The loopback address every node listens on and is reached at.</summary>
    /// <value>Default <c>127.0.0.1</c>.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// How to run a node. Null resolves <c>dotnet Liaa.Node.dll</c> (see <see cref="NodeProgram.Resolve"/>):
    /// <see cref="NodePath"/>, else <c>LIAA_NODE_PATH</c>, else the build output next to the AppHost.
    /// </summary>
    public NodeProgram? Program { get; set; }

    /// <summary>Path to <c>Liaa.Node.dll</c> (or its directory), overriding <c>LIAA_NODE_PATH</c>; used when <see cref="Program"/> is null.</summary>
    public string? NodePath { get; set; }

    /// <summary>Extra environment for every node (e.g. <c>Liaa__Kademlia__K</c>); a null value removes an inherited variable.</summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>The AppHost's OTLP receiver; when set it wins over <see cref="OtlpEndpoint"/>.</summary>
    public IClusterTelemetry? Telemetry { get; set; }

    /// <summary>
    /// When neither <see cref="Telemetry"/> nor <see cref="OtlpEndpoint"/> is set (and the user's own
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is not passed through), the cluster runs its own OTLP
    /// receiver on loopback for its nodes, read through <see cref="LiaaCluster.TelemetryStore"/>.
    /// </summary>
    /// <value>Default true.</value>
    public bool ReceiveTelemetry { get; set; } = true;

    /// <summary>Where nodes export OTLP when <see cref="Telemetry"/> is null; null exports nothing.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The protocol of <see cref="OtlpEndpoint"/>.</summary>
    /// <value>Default <c>http/protobuf</c>; or <c>grpc</c>.</value>
    public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary>
    /// When the AppHost's own environment has <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, nodes inherit it (and
    /// the user's protocol) instead of being pointed at the AppHost's receiver.
    /// </summary>
    /// <value>Default true.</value>
    public bool PassThroughUserOtlpEndpoint { get; set; } = true;

    /// <summary>Bound on <see cref="LiaaCluster.StartAsync(CancellationToken)"/> reaching healthy, and on each later start of one node.</summary>
    /// <value>Default 2 minutes.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a node may take to exit after SIGTERM before it is killed.</summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often running nodes' <c>/health</c> is checked once they are healthy.</summary>
    /// <value>Default 2 seconds.</value>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many nodes may be starting at once after the seed; 0 means all of them.</summary>
    /// <value>Default 0.</value>
    public int MaxParallelStarts { get; set; }

    /// <summary>What happens when a node exits unexpectedly.</summary>
    /// <value>Default <see cref="NodeRestartPolicy.Never"/>.</value>
    public NodeRestartPolicy RestartPolicy { get; set; } = NodeRestartPolicy.Never;

    /// <summary>Pause before an automatic restart.</summary>
    /// <value>Default 1 second.</value>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Automatic restarts allowed per node.</summary>
    /// <value>Default 5.</value>
    public int MaxAutoRestarts { get; set; } = 5;

    /// <summary>Console lines kept per node.</summary>
    /// <value>Default 2000.</value>
    public int ConsoleLogCapacity { get; set; } = 2000;

    /// <summary>Prometheus to start next to the nodes; null starts none.</summary>
    public PrometheusOptions? Prometheus { get; set; }

    /// <summary>Directory for generated files (Prometheus configuration, targets, data); null uses a fresh temp directory removed on dispose.</summary>
    public string? WorkDirectory { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Names every problem at once, or returns an empty list.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Nodes < 1)
        {
            problems.Add($"Nodes must be at least 1 (was {Nodes}).");
        }

        if (SeedPort is < 0 or > 65535)
        {
            problems.Add($"SeedPort must be 0 (free) or a port up to 65535 (was {SeedPort}).");
        }

        if (OtlpProtocol is not ("http/protobuf" or "grpc"))
        {
            problems.Add($"OtlpProtocol must be http/protobuf or grpc (was {OtlpProtocol}).");
        }

        if (StartTimeout <= TimeSpan.Zero || StopTimeout < TimeSpan.Zero || HealthCheckInterval <= TimeSpan.Zero)
        {
            problems.Add("StartTimeout and HealthCheckInterval must be positive and StopTimeout not negative.");
        }

        if (MaxParallelStarts < 0 || MaxAutoRestarts < 0 || ConsoleLogCapacity < 1)
        {
            problems.Add("MaxParallelStarts and MaxAutoRestarts must not be negative and ConsoleLogCapacity must be at least 1.");
        }

        if (Prometheus is not null)
        {
            problems.AddRange(Prometheus.Validate());
        }

        return problems;
    }
}

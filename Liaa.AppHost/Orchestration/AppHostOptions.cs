using Liaa.AppHost.Orchestration.Prometheus;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The AppHost's settings, section <c>Liaa:AppHost</c>: <c>appsettings.json</c>, then environment
/// (<c>Liaa__AppHost__Nodes=20</c>), then the command line (<c>--nodes 20</c>), later sources winning.
/// </summary>
public sealed class AppHostOptions
{
    public const string SectionName = "Liaa:AppHost";

    /// <summary>Nodes in all, the seed included.</summary>
    /// <value>Default 5.</value>
    public int Nodes { get; set; } = 5;

    /// <summary>The seed's UDP port; 0 picks a free one.</summary>
    /// <value>Default 8468.</value>
    public int SeedPort { get; set; } = LiaaClusterOptions.DefaultSeedPort;

    /// <summary>The dashboard's port on 127.0.0.1; 0 picks a free one.</summary>
    /// <value>Default 18888.</value>
    public int DashboardPort { get; set; } = 18888;

    /// <summary>Path to <c>Liaa.Node.dll</c> or its directory; null uses <c>LIAA_NODE_PATH</c> or the build output next to the AppHost.</summary>
    public string? NodePath { get; set; }

    /// <summary>Where nodes export OTLP instead of the AppHost's own receiver; null (the default) uses the receiver. The user's <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, when set, wins over both.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The protocol nodes export with, to <see cref="OtlpEndpoint"/> or to the AppHost's receiver (which accepts both).</summary>
    /// <value>Default <c>http/protobuf</c>; or <c>grpc</c>.</value>
    public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary>What to do when a node exits unexpectedly.</summary>
    /// <value>Default <see cref="NodeRestartPolicy.Never"/>.</value>
    public NodeRestartPolicy RestartPolicy { get; set; } = NodeRestartPolicy.Never;

    /// <summary>Prometheus: <see cref="PrometheusSettings.Enabled"/> null starts it when it is on PATH.</summary>
    public PrometheusSettings Prometheus { get; set; } = new();

    /// <summary>The cluster these settings describe.</summary>
    public LiaaClusterOptions ToClusterOptions(ILoggerFactory? loggerFactory = null)
    {
        var options = new LiaaClusterOptions
        {
            Nodes = Nodes,
            SeedPort = SeedPort,
            NodePath = NodePath,
            OtlpEndpoint = OtlpEndpoint,
            OtlpProtocol = OtlpProtocol,
            RestartPolicy = RestartPolicy,
            LoggerFactory = loggerFactory,
        };
        if (Prometheus.Enabled ?? PrometheusOptions.FindExecutable(Prometheus.Executable) is not null)
        {
            options.Prometheus = new PrometheusOptions
            {
                Executable = Prometheus.Executable,
                ListenAddress = Prometheus.ListenAddress,
                ScrapeInterval = Prometheus.ScrapeInterval,
            };
        }

        return options;
    }

    /// <summary>Every problem at once, naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Nodes < 1)
        {
            problems.Add($"{SectionName}:Nodes (--nodes) must be at least 1 (was {Nodes}).");
        }

        if (SeedPort is < 0 or > 65535)
        {
            problems.Add($"{SectionName}:SeedPort (--seed-port) must be 0 or a port up to 65535 (was {SeedPort}).");
        }

        if (DashboardPort is < 0 or > 65535)
        {
            problems.Add($"{SectionName}:DashboardPort (--dashboard-port) must be 0 or a port up to 65535 (was {DashboardPort}).");
        }

        if (OtlpProtocol is not ("http/protobuf" or "grpc"))
        {
            problems.Add($"{SectionName}:OtlpProtocol must be http/protobuf or grpc (was {OtlpProtocol}).");
        }

        var prometheus = new PrometheusOptions
        {
            Executable = Prometheus.Executable,
            ListenAddress = Prometheus.ListenAddress,
            ScrapeInterval = Prometheus.ScrapeInterval,
        };
        problems.AddRange(prometheus.Validate().Select(p => $"{SectionName}:{p}"));
        return problems;
    }

    /// <summary>Section <c>Liaa:AppHost:Prometheus</c>.</summary>
    public sealed class PrometheusSettings
    {
        /// <summary>True starts Prometheus (<c>--prometheus</c>), false never (<c>--no-prometheus</c>), null when it is on PATH.</summary>
        /// <value>Default null.</value>
        public bool? Enabled { get; set; }

        /// <value>Default <c>prometheus</c>.</value>
        public string Executable { get; set; } = "prometheus";

        /// <value>Default <c>127.0.0.1:9090</c>.</value>
        public string ListenAddress { get; set; } = "127.0.0.1:9090";

        /// <value>Default 5 seconds.</value>
        public TimeSpan ScrapeInterval { get; set; } = TimeSpan.FromSeconds(5);
    }
}

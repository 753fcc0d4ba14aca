using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Liaa.ServiceDefaults;

/// <summary>
/// What <c>AddServiceDefaults</c> builds the OpenTelemetry SDK from. The <c>OTEL_*</c> variables are
/// read from the host's configuration (which includes the environment), so tests can set them per host.
/// </summary>
/// <remarks>
/// <para>
/// Options are read once, the first time the host needs them, which is during <c>builder.Build()</c>:
/// building the host creates its logger factory, and the OpenTelemetry logger provider in it needs
/// the resource. Register the configuration before <c>Build()</c> (before or after
/// <c>AddServiceDefaults</c>), e.g. right after creating the node identity:
/// <code>
/// builder.Services.Configure&lt;LiaaTelemetryOptions&gt;(o =&gt; o.ServiceInstanceId = nodeId.ToString());
/// </code>
/// or from a service: <c>builder.Services.AddOptions&lt;LiaaTelemetryOptions&gt;().Configure&lt;NodeIdentity&gt;((o, id) =&gt; …)</c>,
/// as long as that service does not itself need an <c>ILogger</c> to be constructed (that would be a
/// dependency cycle through the logger factory).
/// </para>
/// <para>
/// Resource precedence: <see cref="ServiceName"/> &gt; <c>OTEL_SERVICE_NAME</c> &gt; <c>service.name</c>
/// in <c>OTEL_RESOURCE_ATTRIBUTES</c> &gt; <see cref="DefaultServiceName"/>; <see cref="ServiceInstanceId"/>
/// &gt; <c>service.instance.id</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c> (none otherwise). The application
/// knows its identity best, so what it sets wins over what the environment says.
/// </para>
/// </remarks>
public sealed class LiaaTelemetryOptions
{
    /// <summary>The service name when neither code nor environment names one.</summary>
    /// <value>Default <c>liaa-node</c>.</value>
    public string DefaultServiceName { get; set; } = "liaa-node";

    /// <summary>A service name that overrides <c>OTEL_SERVICE_NAME</c>.</summary>
    /// <value>Default <c>null</c>: take it from the environment.</value>
    public string? ServiceName { get; set; }

    /// <summary><c>service.instance.id</c>; a Liaa node sets its node id (hex).</summary>
    /// <value>Default <c>null</c>: take it from <c>OTEL_RESOURCE_ATTRIBUTES</c>, else none.</value>
    public string? ServiceInstanceId { get; set; }

    /// <summary><c>service.version</c>.</summary>
    /// <value>Default <c>null</c>: none.</value>
    public string? ServiceVersion { get; set; }

    /// <summary>Extra resource attributes; they win over <c>OTEL_RESOURCE_ATTRIBUTES</c>.</summary>
    public IDictionary<string, object> ResourceAttributes { get; } = new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>Activity sources traced, matched by name.</summary>
    /// <value>Default <c>Liaa.Node</c> and <c>Microsoft.AspNetCore</c>.</value>
    public IList<string> ActivitySources { get; } = ["Liaa.Node", "Microsoft.AspNetCore"];

    /// <summary>Meters collected, matched by name.</summary>
    /// <value>Default <c>Liaa.Node</c>, ASP.NET Core hosting and Kestrel, and <c>System.Runtime</c>.</value>
    public IList<string> Meters { get; } =
        ["Liaa.Node", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    /// <summary>
    /// Request paths whose server spans are dropped (probes and scrapes would drown the real traffic).
    /// Matched case-insensitively, exactly or as a parent segment (<c>/health</c> also drops <c>/health/x</c>).
    /// </summary>
    /// <value>Default <c>/metrics</c>, <c>/health</c>, <c>/alive</c>.</value>
    public IList<string> UntracedPaths { get; } = ["/metrics", "/health", "/alive"];

    /// <summary>
    /// Keep only meters created by this host's <c>IMeterFactory</c> (or by no factory, like
    /// <c>System.Runtime</c>), so several hosts in one process (tests, simulations) do not report each
    /// other's instruments. Activity sources are static and cannot be separated this way.
    /// </summary>
    /// <value>Default <c>true</c>.</value>
    public bool IsolateHostMeters { get; set; } = true;

    /// <summary>How long one <c>/metrics</c> rendering is served again.</summary>
    /// <value>Default 1 second.</value>
    public TimeSpan PrometheusCacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Further resource configuration, applied last.</summary>
    public Action<ResourceBuilder>? ConfigureResource { get; set; }

    /// <summary>Further tracing configuration (processors, samplers, exporters), applied last.</summary>
    public Action<TracerProviderBuilder>? ConfigureTracing { get; set; }

    /// <summary>Further metrics configuration (readers, views), applied last.</summary>
    public Action<MeterProviderBuilder>? ConfigureMetrics { get; set; }

    /// <summary>
    /// Further logging configuration, applied last while the host builds its OpenTelemetry logger
    /// provider: add processors here (<c>AddProcessor</c>); extensions that register services, such as
    /// <c>AddOtlpExporter</c>, cannot run that late.
    /// </summary>
    public Action<LoggerProviderBuilder>? ConfigureLogging { get; set; }
}

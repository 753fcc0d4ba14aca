using System.Diagnostics.Metrics;
using Liaa.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The .NET Aspire service defaults, on the OpenTelemetry packages: <c>AddServiceDefaults</c> and
/// <c>MapDefaultEndpoints</c>, shaped as the Aspire template's, plus the <c>Liaa.Node</c> activity
/// source and meter, a Prometheus <c>/metrics</c> endpoint, and a health answer that names what failed.
/// </summary>
/// <remarks>
/// <para>
/// Resource: the SDK's own detectors read <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c>
/// from the host's configuration (which includes the environment), so the <c>service.instance.id</c>
/// Aspire gives is kept. When neither names the service it is <see cref="DefaultServiceName"/>. An
/// application adds its own attributes with <c>builder.Services.AddOpenTelemetry().ConfigureResource(…)</c>
/// (a Liaa node adds <c>liaa.node.id</c> and <c>liaa.node.name</c>).
/// </para>
/// <para>
/// Several hosts in one process (tests, simulations) each report only their own meters: every
/// meter a host's <see cref="IMeterFactory"/> made carries that factory as its scope, and a view drops
/// instruments from another host's factory (listeners match meters by name across the process).
/// Activity sources are process-wide and cannot be told apart this way.
/// </para>
/// </remarks>
public static class LiaaServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks <c>/alive</c> runs (every check runs for <c>/health</c>).</summary>
    public const string LiveTag = "live";

    /// <summary>The service name when neither <c>OTEL_SERVICE_NAME</c> nor <c>OTEL_RESOURCE_ATTRIBUTES</c> gives one.</summary>
    public const string DefaultServiceName = "liaa-node";

    /// <summary>Path of readiness: every health check.</summary>
    public const string HealthPath = "/health";

    /// <summary>Path of liveness: the checks tagged <see cref="LiveTag"/>.</summary>
    public const string AlivePath = "/alive";

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Most series (tag combinations) kept per metric; more are counted in the SDK's overflow series
    /// (<c>otel.metric.overflow=true</c>). The SDK's default, 2,000, preallocates that many points for every
    /// instrument of every meter listened to: about 10 MB of a node's heap, a fifth of its memory (BENCHMARKS.md,
    /// "Node footprint"). No Liaa, ASP.NET Core or runtime instrument comes near this many: Liaa's tags are
    /// low-cardinality (an RPC name, an outcome), never a node id or key.
    /// </summary>
    public const int MetricSeriesLimit = 200;

    /// <summary>Name of Liaa's activity source and meter (<c>Liaa.Node.Telemetry.LiaaDiagnostics.Name</c>).</summary>
    private const string LiaaSourceName = "Liaa.Node";

    /// <summary>
    /// Adds OpenTelemetry (resource, tracing, metrics and logs, with OTLP export when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), the Prometheus exporter and a liveness check.
    /// Calling it again does nothing.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder => builder.AddServiceDefaults(new ServiceDefaultsOptions());

    /// <summary><see cref="AddServiceDefaults{TBuilder}(TBuilder)"/> with <paramref name="options"/> saying what else to instrument.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, ServiceDefaultsOptions options)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (builder.Services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<ServiceDefaultsMarker>();
        builder.ConfigureOpenTelemetry(options);
        builder.AddDefaultHealthChecks();
        return builder;
    }

    /// <summary>The OpenTelemetry part of <see cref="AddServiceDefaults{TBuilder}(TBuilder)"/>.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder => builder.ConfigureOpenTelemetry(new ServiceDefaultsOptions());

    /// <summary>The OpenTelemetry part of <see cref="AddServiceDefaults{TBuilder}(TBuilder, ServiceDefaultsOptions)"/>.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, ServiceDefaultsOptions options)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var configuration = builder.Configuration;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"])
                    && !(configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? string.Empty).Contains("service.name=", StringComparison.Ordinal))
                {
                    resource.AddAttributes([new("service.name", DefaultServiceName)]);
                }
            })
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(LiaaSourceName)
                    .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = IsTraced);
                if (options.InstrumentHttpClient)
                {
                    tracing.AddHttpClientInstrumentation();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(LiaaSourceName)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (options.InstrumentHttpClient)
                {
                    metrics.AddHttpClientInstrumentation();
                }
            });

        // One view for every instrument (two matching views would make two streams of it): another host's
        // instruments are dropped, the others keep at most MetricSeriesLimit series.
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
        {
            var ownFactory = services.GetService<IMeterFactory>();
            metrics.AddView(instrument =>
                ownFactory is not null && instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, ownFactory)
                    ? MetricStreamConfiguration.Drop
                    : new MetricStreamConfiguration { CardinalityLimit = MetricSeriesLimit });
        });

        // UseOtlpExporter reads the standard variables itself: OTEL_EXPORTER_OTLP_PROTOCOL (grpc or
        // http/protobuf, with /v1/traces, /v1/metrics, /v1/logs appended for the latter), the
        // per-signal endpoints, OTEL_EXPORTER_OTLP_HEADERS and OTEL_METRIC_EXPORT_INTERVAL. What is buffered is
        // exported when the host has stopped, within its shutdown timeout (TelemetryFlushOnStop).
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
            builder.Services.AddHostedService<TelemetryFlushOnStop>();
        }

        return builder;
    }

    /// <summary>A <c>self</c> check tagged <see cref="LiveTag"/>: the process answers. The application adds its readiness checks.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check: ready) and <c>/alive</c> (checks tagged <see cref="LiveTag"/>),
    /// answering in plain text: <c>Healthy</c> with 200, or <c>Unhealthy</c> with 503 (<c>Degraded</c>
    /// with 200) followed by one line per check that is not healthy, with its reason; and <c>/metrics</c> (Prometheus text).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<ServiceDefaultsMarker>() is null)
        {
            throw new InvalidOperationException("MapDefaultEndpoints needs builder.AddServiceDefaults() first.");
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        return app;
    }

    /// <summary>Probes and scrapes would drown the real traffic: they get no server span.</summary>
    internal static bool IsTraced(HttpContext context) =>
        !context.Request.Path.StartsWithSegments(HealthPath, StringComparison.OrdinalIgnoreCase)
        && !context.Request.Path.StartsWithSegments(AlivePath, StringComparison.OrdinalIgnoreCase)
        && !context.Request.Path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase);

    private sealed class ServiceDefaultsMarker;
}

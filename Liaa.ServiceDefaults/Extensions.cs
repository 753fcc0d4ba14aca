using Liaa.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The .NET Aspire service-defaults entry points, implemented on the OpenTelemetry 1.20 core SDK
/// (the Aspire and OpenTelemetry.Extensions.Hosting packages are not available here).
/// </summary>
/// <remarks>
/// <para><c>AddServiceDefaults</c> adds:</para>
/// <list type="bullet">
/// <item>tracing (sources <c>Liaa.Node</c>, <c>Microsoft.AspNetCore</c>) and metrics (<c>Liaa.Node</c>,
/// ASP.NET Core hosting and Kestrel, <c>System.Runtime</c>) in a <see cref="LiaaTelemetry"/> the host
/// owns: started before the hosted services, shut down (flushing) after they have all stopped;</item>
/// <item>logs through <c>builder.Logging.AddOpenTelemetry</c> with scopes and formatted messages; each
/// record carries the trace and span id of the activity current when it was written;</item>
/// <item>OTLP export of all three when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
/// (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c> <c>grpc</c> or <c>http/protobuf</c>), read from the host
/// configuration when this method runs;</item>
/// <item>HTTP server spans named after the route, with <c>/metrics</c> and the probes untraced;</item>
/// <item>health checks: a <c>self</c> check tagged <c>live</c>; the application adds its readiness checks.</item>
/// </list>
/// <para>The resource is described on <see cref="LiaaTelemetryOptions"/>, including how a node passes its id.</para>
/// </remarks>
public static class LiaaServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks <c>/alive</c> runs (all checks run for <c>/health</c>).</summary>
    public const string LiveTag = "live";

    /// <summary>Adds Liaa's OpenTelemetry and health defaults to the host.</summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configure">Optional telemetry options, e.g. the node id as <c>service.instance.id</c>.</param>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, Action<LiaaTelemetryOptions>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker)))
        {
            return builder;
        }

        services.AddSingleton<ServiceDefaultsMarker>();
        services.AddOptions<LiaaTelemetryOptions>();

        var otlp = OtlpExportSettings.FromConfiguration(builder.Configuration);
        services.AddSingleton(sp => new HostTelemetryResource(TelemetryResourceFactory.Create(
            sp.GetRequiredService<IOptions<LiaaTelemetryOptions>>().Value,
            builder.Configuration)));
        services.AddSingleton(sp => new LiaaTelemetry(
            sp.GetRequiredService<IOptions<LiaaTelemetryOptions>>().Value,
            sp.GetRequiredService<HostTelemetryResource>().Resource,
            otlp,
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddHostedService<TelemetryLifetimeService>();

        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeScopes = true;
            o.IncludeFormattedMessage = true;
        });
        services.ConfigureOpenTelemetryLoggerProvider(logging =>
        {
            logging.ConfigureResource(r => r.Clear().AddDetector(sp => sp.GetRequiredService<HostTelemetryResource>()));
            if (otlp is not null)
            {
                logging.AddOtlpExporter(o => otlp.Apply(o, otlp.LogsEndpoint));
            }
        });
        services.ConfigureOpenTelemetryLoggerProvider((sp, logging) =>
            sp.GetRequiredService<IOptions<LiaaTelemetryOptions>>().Value.ConfigureLogging?.Invoke(logging));

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, HttpServerSpanStartupFilter>());
        services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check: ready), <c>/alive</c> (checks tagged <c>live</c>), both
    /// answering <c>Healthy</c> with 200 or <c>Unhealthy</c> with 503 in plain text, and <c>/metrics</c>
    /// (Prometheus text format 0.0.4).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<ServiceDefaultsMarker>() is null)
        {
            throw new InvalidOperationException("MapDefaultEndpoints needs builder.AddServiceDefaults() first.");
        }

        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapGet("/metrics", PrometheusEndpoint.HandleAsync);
        return app;
    }

    private sealed class ServiceDefaultsMarker;
}

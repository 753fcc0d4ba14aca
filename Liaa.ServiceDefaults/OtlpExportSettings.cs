using System.Globalization;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;

namespace Liaa.ServiceDefaults;

/// <summary>
/// Where and how to send OTLP, read from the standard variables: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// (export is on only when it is set), <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>grpc</c>, the default,
/// or <c>http/protobuf</c>), the per-signal <c>OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c> and <c>OTEL_METRIC_EXPORT_INTERVAL</c> (milliseconds).
/// </summary>
/// <remarks>
/// Endpoints are resolved here rather than left to the exporter because an endpoint set in code is
/// used verbatim by the signal-specific <c>AddOtlpExporter</c>: with <c>http/protobuf</c> the base
/// endpoint must get <c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c> appended (as the
/// specification says for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), while a per-signal endpoint is taken
/// as it is, and gRPC uses the base endpoint for every signal.
/// </remarks>
internal sealed record OtlpExportSettings(
    OtlpExportProtocol Protocol,
    Uri TracesEndpoint,
    Uri MetricsEndpoint,
    Uri LogsEndpoint,
    string? Headers,
    int? MetricExportIntervalMilliseconds)
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ProtocolKey = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>
    /// Reads the settings; <c>null</c> when no endpoint is configured. Throws
    /// <see cref="InvalidOperationException"/> naming the variable when a value is malformed.
    /// </summary>
    public static OtlpExportSettings? FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var baseEndpoint = ReadUri(configuration, EndpointKey);
        var traces = ReadUri(configuration, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        var metrics = ReadUri(configuration, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        var logs = ReadUri(configuration, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
        if (baseEndpoint is null && traces is null && metrics is null && logs is null)
        {
            return null;
        }

        var protocol = ParseProtocol(configuration[ProtocolKey]);
        var defaultBase = baseEndpoint ?? new Uri(protocol == OtlpExportProtocol.Grpc ? "http://localhost:4317" : "http://localhost:4318");
        return new OtlpExportSettings(
            protocol,
            traces ?? SignalEndpoint(defaultBase, protocol, "v1/traces"),
            metrics ?? SignalEndpoint(defaultBase, protocol, "v1/metrics"),
            logs ?? SignalEndpoint(defaultBase, protocol, "v1/logs"),
            NullIfEmpty(configuration["OTEL_EXPORTER_OTLP_HEADERS"]),
            ReadPositiveInt(configuration, "OTEL_METRIC_EXPORT_INTERVAL"));
    }

    /// <summary>Applies endpoint, protocol and headers for one signal.</summary>
    public void Apply(OtlpExporterOptions options, Uri endpoint)
    {
        options.Protocol = Protocol;
        options.Endpoint = endpoint;
        if (Headers is not null)
        {
            options.Headers = Headers;
        }
    }

    internal static OtlpExportProtocol ParseProtocol(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "grpc" => OtlpExportProtocol.Grpc,
        "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
        _ => throw new InvalidOperationException(
            $"{ProtocolKey} is '{value}'; Liaa supports 'grpc' and 'http/protobuf'."),
    };

    internal static Uri SignalEndpoint(Uri baseEndpoint, OtlpExportProtocol protocol, string signalPath)
    {
        if (protocol == OtlpExportProtocol.Grpc)
        {
            return baseEndpoint;
        }

        var text = baseEndpoint.AbsoluteUri;
        return new Uri(text.EndsWith('/') ? text + signalPath : text + "/" + signalPath);
    }

    private static Uri? ReadUri(IConfiguration configuration, string key)
    {
        var value = NullIfEmpty(configuration[key]);
        if (value is null)
        {
            return null;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"{key} is '{value}'; it must be an absolute http or https URL.");
        }

        return uri;
    }

    private static int? ReadPositiveInt(IConfiguration configuration, string key)
    {
        var value = NullIfEmpty(configuration[key]);
        if (value is null)
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) || result <= 0)
        {
            throw new InvalidOperationException($"{key} is '{value}'; it must be a positive number of milliseconds.");
        }

        return result;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

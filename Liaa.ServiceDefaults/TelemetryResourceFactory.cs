using Microsoft.Extensions.Configuration;
using OpenTelemetry.Resources;

namespace Liaa.ServiceDefaults;

/// <summary>
/// Builds the one resource every signal of a host carries, from <see cref="LiaaTelemetryOptions"/> and
/// the host's <c>OTEL_SERVICE_NAME</c> / <c>OTEL_RESOURCE_ATTRIBUTES</c> (precedence in the options' remarks).
/// </summary>
/// <remarks>
/// The SDK's own environment detector is not used: it reads the process environment, and tests run
/// several hosts with different settings in one process.
/// </remarks>
internal static class TelemetryResourceFactory
{
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";
    public const string ResourceAttributesKey = "OTEL_RESOURCE_ATTRIBUTES";

    public static Resource Create(LiaaTelemetryOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);

        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in ParseResourceAttributes(configuration[ResourceAttributesKey]))
        {
            attributes[key] = value;
        }

        foreach (var (key, value) in options.ResourceAttributes)
        {
            attributes[key] = value;
        }

        var serviceName = FirstNonEmpty(
            options.ServiceName,
            configuration[ServiceNameKey],
            attributes.GetValueOrDefault("service.name") as string,
            options.DefaultServiceName) ?? "liaa-node";
        attributes["service.name"] = serviceName;

        var instanceId = FirstNonEmpty(options.ServiceInstanceId, attributes.GetValueOrDefault("service.instance.id") as string);
        if (instanceId is null)
        {
            attributes.Remove("service.instance.id");
        }
        else
        {
            attributes["service.instance.id"] = instanceId;
        }

        if (!string.IsNullOrEmpty(options.ServiceVersion))
        {
            attributes["service.version"] = options.ServiceVersion;
        }

        var builder = ResourceBuilder.CreateEmpty().AddAttributes(attributes).AddTelemetrySdk();
        options.ConfigureResource?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>
    /// Parses <c>key1=value1,key2=value2</c> (W3C Baggage octets, values percent-encoded). Malformed
    /// pairs are skipped, as the specification allows.
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, string>> ParseResourceAttributes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = pair[..equals].Trim();
            var value = Uri.UnescapeDataString(pair[(equals + 1)..].Trim());
            if (key.Length > 0)
            {
                yield return new(key, value);
            }
        }
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}

using OpenTelemetry.Resources;

namespace Liaa.ServiceDefaults;

/// <summary>
/// The host's resource, built once from the options and configuration and shared by the SDK's
/// tracer and meter providers and by the host's OpenTelemetry logger provider (a detector, because
/// that provider builds its resource from the host's service provider).
/// </summary>
internal sealed class HostTelemetryResource(Resource resource) : IResourceDetector
{
    public Resource Resource { get; } = resource;

    public Resource Detect() => Resource;
}

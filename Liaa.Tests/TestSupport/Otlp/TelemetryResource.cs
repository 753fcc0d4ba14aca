namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// Who sent a piece of telemetry: the OTLP resource of the exporting process. Liaa nodes set
/// <c>service.name</c> (the AppHost's resource name, e.g. <c>node-3</c>) and <c>service.instance.id</c>
/// (the node id), which together are the <see cref="Service"/> the store indexes by.
/// </summary>
internal sealed record TelemetryResource(ServiceKey Service, IReadOnlyDictionary<string, object?> Attributes)
{
    /// <summary>What an exporter that sets no <c>service.name</c> is filed under.</summary>
    public const string UnknownServiceName = "unknown_service";

    public static TelemetryResource FromAttributes(IReadOnlyDictionary<string, object?> attributes)
    {
        var name = attributes.GetValueOrDefault("service.name") as string;
        var instance = attributes.GetValueOrDefault("service.instance.id") as string;
        return new TelemetryResource(
            new ServiceKey(string.IsNullOrEmpty(name) ? UnknownServiceName : name, string.IsNullOrEmpty(instance) ? null : instance),
            attributes);
    }
}

/// <summary>One process's identity in the store: <c>service.name</c> and, when set, <c>service.instance.id</c>.</summary>
internal readonly record struct ServiceKey(string ServiceName, string? InstanceId)
{
    /// <summary>
    /// True when this key is selected by the filter: a null filter value matches anything, so a
    /// query by name alone returns every instance of that service.
    /// </summary>
    public bool Matches(string? serviceName, string? instanceId) =>
        (serviceName is null || string.Equals(ServiceName, serviceName, StringComparison.Ordinal))
        && (instanceId is null || string.Equals(InstanceId, instanceId, StringComparison.Ordinal));

    public override string ToString() => InstanceId is null ? ServiceName : ServiceName + "/" + InstanceId;
}

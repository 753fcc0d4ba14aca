namespace Liaa.ServiceDefaults;

/// <summary>What <c>AddServiceDefaults</c> instruments beyond what every service gets.</summary>
public sealed class ServiceDefaultsOptions
{
    /// <summary>
    /// Whether outgoing <see cref="System.Net.Http.HttpClient"/> requests get client spans and the <c>System.Net.Http</c>
    /// and <c>System.Net.NameResolution</c> metrics. <value>Default true, as in Aspire's template.</value> A Liaa node
    /// sets it false: a <c>serve</c> process sends no HTTP request of its own, and the only ones it would measure are
    /// its OTLP exporter's, once a second under the AppHost (their spans are suppressed, but their metrics were
    /// exported as if they were the node's traffic, and cost every export).
    /// </summary>
    public bool InstrumentHttpClient { get; init; } = true;
}

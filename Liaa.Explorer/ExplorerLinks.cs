namespace Liaa.Explorer;

/// <summary>
/// Where the explorer links to: the Aspire dashboard (<c>Explorer:Dashboard</c>, which the AppHost sets to the
/// dashboard's address), whose <c>/traces/detail/{traceId}</c> page shows a recorded lookup's trace. Null when
/// the explorer runs without a dashboard: then no trace links are drawn.
/// </summary>
internal sealed record ExplorerLinks(Uri? Dashboard)
{
    public static ExplorerLinks FromConfiguration(IConfiguration configuration) =>
        new(Uri.TryCreate(configuration["Explorer:Dashboard"], UriKind.Absolute, out var dashboard) ? dashboard : null);
}

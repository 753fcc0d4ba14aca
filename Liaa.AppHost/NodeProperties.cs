using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace Liaa.AppHost;

/// <summary>
/// Shows each running node's Kademlia id, contact count and stored keys as resource properties in the
/// dashboard, polled from the node's <c>/v1/node</c> and <c>/v1/storage</c> every
/// <see cref="Interval"/> and published with <see cref="ResourceNotificationService"/> when they changed.
/// </summary>
/// <remarks>
/// Reads carry an unsampled <c>traceparent</c> so this polling adds no traces. A node that does not
/// answer keeps its last values; Aspire's own health check says whether it is well.
/// </remarks>
internal sealed class NodeProperties(
    IReadOnlyList<IResourceWithEndpoints> nodes,
    ResourceNotificationService notifications,
    TimeProvider timeProvider) : BackgroundService
{
    public const string NodeId = "liaa.node.id";
    public const string Contacts = "liaa.node.contacts";
    public const string StoredKeys = "liaa.node.keys";

    /// <summary>How often the properties are refreshed.</summary>
    /// <value>2 seconds.</value>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            await Task.WhenAll(nodes.Select(n => RefreshAsync(n, stoppingToken))).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task RefreshAsync(IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        if (!notifications.TryGetCurrentState(node.Name, out var current) || current.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            return;
        }

        var endpoint = node.GetEndpoint("http");
        if (!endpoint.IsAllocated)
        {
            return;
        }

        try
        {
            using var info = await ReadAsync(endpoint, "/v1/node", cancellationToken).ConfigureAwait(false);
            using var storage = await ReadAsync(endpoint, "/v1/storage", cancellationToken).ConfigureAwait(false);
            var id = info.RootElement.GetProperty("id").GetString();
            var contacts = info.RootElement.GetProperty("contacts").GetInt32();
            var keys = storage.RootElement.GetProperty("keys").GetInt32();
            if (Shows(current.Snapshot, NodeId, id) && Shows(current.Snapshot, Contacts, contacts) && Shows(current.Snapshot, StoredKeys, keys))
            {
                // Unchanged: no update for the AppHost and the dashboard to process (a 20-node cluster would make 10 a second).
                return;
            }

            await notifications.PublishUpdateAsync(node, snapshot => snapshot with
            {
                Properties = [
                    .. snapshot.Properties.Where(p => p.Name is not (NodeId or Contacts or StoredKeys)),
                    new ResourcePropertySnapshot(NodeId, id) { DisplayName = "Kademlia node id", IsHighlighted = true },
                    new ResourcePropertySnapshot(Contacts, contacts) { DisplayName = "Contacts", IsHighlighted = true },
                    new ResourcePropertySnapshot(StoredKeys, keys) { DisplayName = "Stored keys", IsHighlighted = true },
                ],
            }).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException
            or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Starting, stopping or crashed: the next round tries again.
        }
    }

    private static bool Shows(CustomResourceSnapshot snapshot, string name, object? value) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == name) is { } shown && Equals(shown.Value, value);

    private async Task<JsonDocument> ReadAsync(EndpointReference endpoint, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(endpoint.Url), path));
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-00");
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(body, default, cancellationToken).ConfigureAwait(false);
    }
}

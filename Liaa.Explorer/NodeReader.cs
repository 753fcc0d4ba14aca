using System.Security.Cryptography;
using System.Text.Json;

namespace Liaa.Explorer;

/// <summary>
/// Reads the nodes' own API (<c>/v1/node</c>, <c>/v1/routing-table</c>, <c>/v1/storage</c>) for the
/// explorer. Every read has its own timeout on the injected clock, so one hung node cannot stall a
/// page; a node that does not answer is reported with the reason, never thrown past the API.
/// </summary>
/// <remarks>
/// Reads carry an unsampled <c>traceparent</c>: the node's parent-based sampler then records nothing,
/// so the explorer's polling does not fill the Aspire dashboard's traces. Never goes through a proxy
/// (a user's <c>HTTP_PROXY</c> must not see loopback traffic).
/// </remarks>
internal sealed class NodeReader(TimeProvider timeProvider) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Bound on one read.</summary>
    /// <value>Default 3 seconds.</value>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>GETs <paramref name="path"/> from the node; the parsed JSON, or the reason it failed.</summary>
    public async Task<NodeRead> ReadAsync(NodeAddress node, string path, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.Http, path));
            request.Headers.TryAddWithoutValidation("traceparent", UnsampledTraceParent());
            using var response = await _http.SendAsync(request, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return new NodeRead(null, $"{path} answered {(int)response.StatusCode}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(body, default, linked.Token).ConfigureAwait(false);
            return new NodeRead(document.RootElement.Clone(), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new NodeRead(null, $"{path} did not answer within {ReadTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException)
        {
            return new NodeRead(null, exception.Message);
        }
    }

    /// <summary>Reads <paramref name="path"/> from every node at once.</summary>
    public async Task<IReadOnlyDictionary<string, NodeRead>> ReadAllAsync(IEnumerable<NodeAddress> nodes, string path, CancellationToken cancellationToken)
    {
        var reads = nodes.Select(async n => (n.Name, Read: await ReadAsync(n, path, cancellationToken).ConfigureAwait(false)));
        return (await Task.WhenAll(reads).ConfigureAwait(false)).ToDictionary(r => r.Name, r => r.Read, StringComparer.Ordinal);
    }

    public void Dispose() => _http.Dispose();

    private static string UnsampledTraceParent() =>
        $"00-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-00";
}

/// <summary>A node's answer (<see cref="Json"/>) or why there is none (<see cref="Error"/>).</summary>
internal sealed record NodeRead(JsonElement? Json, string? Error);

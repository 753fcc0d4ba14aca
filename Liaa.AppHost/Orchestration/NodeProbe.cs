using System.Net;
using System.Text.Json;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// Asks a node's HTTP API how it is: <c>/health</c> (200 once its UDP socket is bound and it has
/// joined) and <c>/v1/node</c> (its id and endpoints). Every call is bounded and any failure reads as
/// "not healthy" / "unknown", never as an exception: a node that is starting refuses connections.
/// </summary>
internal sealed class NodeProbe : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeProvider _timeProvider;

    public NodeProbe(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // A proxy from the environment must never sit between the AppHost and 127.0.0.1.
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async Task<bool> IsHealthyAsync(Uri baseAddress, TimeSpan timeout, CancellationToken cancellationToken) =>
        await GetHealthAsync(baseAddress, timeout, cancellationToken).ConfigureAwait(false) == HttpStatusCode.OK;

    /// <summary>The status <c>/health</c> answered (200 healthy, 503 not yet), or null when nothing answered in time.</summary>
    public async Task<HttpStatusCode?> GetHealthAsync(Uri baseAddress, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = Bound(timeout, cancellationToken);
        try
        {
            using var response = await _http.GetAsync(new Uri(baseAddress, "/health"), HttpCompletionOption.ResponseHeadersRead, bounded.Token).ConfigureAwait(false);
            return response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>The node's own account of its identity from <c>GET /v1/node</c>, or null when it cannot be had.</summary>
    public async Task<NodeInfo?> GetNodeInfoAsync(Uri baseAddress, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = Bound(timeout, cancellationToken);
        try
        {
            var json = await _http.GetFromJsonAsync<JsonElement>(new Uri(baseAddress, "/v1/node"), bounded.Token).ConfigureAwait(false);
            return NodeInfo.TryParse(json, out var info) ? info : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();

    private BoundedToken Bound(TimeSpan timeout, CancellationToken cancellationToken) => new(timeout, _timeProvider, cancellationToken);

    /// <summary>A token cancelled by the caller or after a timeout on the injected clock.</summary>
    private sealed class BoundedToken : IDisposable
    {
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;

        public BoundedToken(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
        {
            _timeout = new CancellationTokenSource(timeout, timeProvider);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
        }

        public CancellationToken Token => _linked.Token;

        public void Dispose()
        {
            _linked.Dispose();
            _timeout.Dispose();
        }
    }
}

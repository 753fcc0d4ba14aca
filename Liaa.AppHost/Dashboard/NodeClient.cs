using System.Net.Http.Headers;
using System.Text.Json;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// The dashboard's HTTP client for the nodes' own API (<c>/v1/…</c> on each node's loopback HTTP
/// endpoint): reads for the DHT view, and the values the "Try it" form puts and gets. Every call is
/// bounded by its own timeout on the injected clock, so one hung node cannot stall a page.
/// </summary>
/// <remarks>
/// Never goes through a proxy (a user's <c>HTTP_PROXY</c> must not see loopback traffic). Owns its
/// handler; the dashboard disposes it when the host stops.
/// </remarks>
internal sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeProvider _timeProvider;

    public NodeClient(TimeProvider timeProvider, HttpMessageHandler? handler = null)
    {
        _timeProvider = timeProvider;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Bound on reads of a node's state (<c>/v1/storage</c>, <c>/v1/routing-table</c>).</summary>
    /// <value>Default 3 seconds.</value>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Bound on a put or get through the DHT (a lookup may wait out RPC timeouts of dead peers).</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan ValueTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>GETs <paramref name="path"/> from the node and parses it; throws <see cref="NodeCallException"/> on any failure.</summary>
    public async Task<JsonDocument> GetJsonAsync(Uri node, string path, CancellationToken cancellationToken)
    {
        using var timeout = Bound(ReadTimeout, cancellationToken);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node, path));

            // An unsampled parent: the node's parent-based sampler then records nothing, so the
            // dashboard's own polling does not fill the trace list with GET /v1/storage.
            request.Headers.TryAddWithoutValidation("traceparent", TraceParent.NewUnsampled());
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new NodeCallException($"{path} answered {(int)response.StatusCode}.");
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(body, default, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NodeCallException($"{path} did not answer within {ReadTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException)
        {
            throw new NodeCallException($"{path}: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// <c>PUT</c> (with <paramref name="body"/>) or <c>GET</c> of <c>/v1/values/{key}</c> on the node,
    /// carrying <paramref name="traceParent"/> so the node's server span joins the dashboard's trace.
    /// A node that cannot be reached or does not answer in time gives status 0 and the reason.
    /// </summary>
    public async Task<ValueResponse> SendValueAsync(
        Uri node,
        HttpMethod method,
        string key,
        bool isDigest,
        ByteArrayContent? body,
        string traceParent,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(node, "/v1/values/" + Uri.EscapeDataString(key) + (isDigest ? "?digest=true" : string.Empty))) { Content = body };
        request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        using var timeout = Bound(ValueTimeout, cancellationToken);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var content = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return new ValueResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, content, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ValueResponse(0, null, [], $"The node did not answer within {ValueTimeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException exception)
        {
            return new ValueResponse(0, null, [], exception.Message);
        }
    }

    public static ByteArrayContent Content(byte[] bytes, string mediaType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    public void Dispose() => _http.Dispose();

    private CallBound Bound(TimeSpan timeout, CancellationToken cancellationToken) => new(timeout, _timeProvider, cancellationToken);

    /// <summary>A call's token: the caller's, and a timeout on the injected clock.</summary>
    private sealed class CallBound : IDisposable
    {
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;

        public CallBound(TimeSpan timeout, TimeProvider timeProvider, CancellationToken caller)
        {
            _timeout = new CancellationTokenSource(timeout, timeProvider);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _timeout.Token);
        }

        public CancellationToken Token => _linked.Token;

        public void Dispose()
        {
            _linked.Dispose();
            _timeout.Dispose();
        }
    }

    /// <summary>What a node answered to a value request; <see cref="Status"/> 0 when it did not answer.</summary>
    internal sealed record ValueResponse(int Status, string? MediaType, byte[] Body, string? Error);
}

/// <summary>A read from a node's API failed; the message says why, for the page.</summary>
internal sealed class NodeCallException : Exception
{
    public NodeCallException()
    {
    }

    public NodeCallException(string message)
        : base(message)
    {
    }

    public NodeCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Liaa.AppHost;

/// <summary>
/// The health check of a node resource: <c>GET /health</c> on its <c>http</c> endpoint answers 200.
/// Unlike Aspire's <c>WithHttpHealthCheck</c> (one request per check), a check made while the node is not
/// known healthy keeps asking every <see cref="PollInterval"/> for up to <see cref="Patience"/> before it
/// reports the node unhealthy, so the node is seen healthy within a poll interval of becoming so.
/// </summary>
/// <remarks>
/// Why: Aspire checks a resource when it starts running, then, while it is unhealthy, after 1, 2, 3, 4 and
/// 5 s (its <c>ResourceHealthCheckService</c>, 13.6). A node healthy 1.2 s after it started was seen so at
/// 3 s, one healthy at 3.1 s only at 6 s, and every node waiting for the seed waited that long too. Once the
/// node was healthy a check is a single request again, so a node that fails is reported at the next check.
/// </remarks>
internal sealed class NodeHealthCheck : IHealthCheck
{
    /// <summary>How long a check waits for a node not yet known healthy.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>How often a waiting check asks again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long one request may take.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly Func<Uri> _healthUri;
    private readonly TimeProvider _time;
    private volatile bool _wasHealthy;

    /// <param name="http">Sends the requests (its own timeout is not used: each request gets <see cref="RequestTimeout"/>).</param>
    /// <param name="healthUri">The node's <c>/health</c>, asked at each check (the endpoint is allocated once the resource starts).</param>
    /// <param name="time">Clock of the waits.</param>
    public NodeHealthCheck(HttpClient http, Func<Uri> healthUri, TimeProvider time)
    {
        _http = http;
        _healthUri = healthUri;
        _time = time;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var uri = _healthUri();
        var started = _time.GetTimestamp();
        while (true)
        {
            var (healthy, why) = await AskAsync(uri, cancellationToken).ConfigureAwait(false);
            if (healthy)
            {
                _wasHealthy = true;
                return HealthCheckResult.Healthy();
            }

            if (_wasHealthy || _time.GetElapsedTime(started) + PollInterval > Patience)
            {
                _wasHealthy = false;
                return new HealthCheckResult(context.Registration.FailureStatus, why);
            }

            await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(bool Healthy, string Why)> AskAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return ((int)response.StatusCode == 200, $"GET {uri} answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException ex)
        {
            return (false, $"GET {uri} failed: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"GET {uri} did not answer within {RequestTimeout.TotalSeconds:0} s.");
        }
    }
}

/// <summary>The one <see cref="HttpClient"/> of every node's health check (no logging handler: a check every 100 ms would drown the log).</summary>
internal sealed class NodeHealthClient : IDisposable
{
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

    public void Dispose() => Http.Dispose();
}

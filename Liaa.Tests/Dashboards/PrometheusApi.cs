using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// The parts of Prometheus' HTTP API the dashboard tests use: instant and range queries, label
/// values, rules and alerts. A query Prometheus rejects (bad PromQL) fails the test at once with
/// Prometheus' own message, since asking again would not help.
/// </summary>
internal sealed class PrometheusApi : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly HttpClient _http;

    public PrometheusApi(Uri baseAddress)
    {
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>
    /// The series <paramref name="query"/> returns, as Grafana would ask for them: an instant query,
    /// or a range query over the last minute with a 2 s step (Grafana's <c>$__interval</c> here).
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string query, bool instant, CancellationToken cancellationToken)
    {
        var now = TimeProvider.System.GetUtcNow();
        var path = instant
            ? $"api/v1/query?query={Uri.EscapeDataString(query)}&time={Seconds(now)}"
            : $"api/v1/query_range?query={Uri.EscapeDataString(query)}&start={Seconds(now.AddMinutes(-1))}&end={Seconds(now)}&step=2";
        var data = await GetDataAsync(path, cancellationToken);
        return data.GetProperty("result").EnumerateArray().Select(s => s.Clone()).ToList();
    }

    /// <summary>
    /// Asks <paramref name="query"/> until some series has a finite value (every 250 ms), or until
    /// <paramref name="deadline"/>; returns the last answer either way.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForValueAsync(string query, bool instant, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var series = await QueryAsync(query, instant, cancellationToken);
            if (series.Any(HasFiniteValue) || TimeProvider.System.GetUtcNow() >= deadline)
            {
                return series;
            }

            await Task.Delay(PollInterval, TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>The values of <paramref name="label"/> on the series <paramref name="match"/> selects (Grafana's <c>label_values</c>).</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string match, CancellationToken cancellationToken)
    {
        var data = await GetDataAsync($"api/v1/label/{label}/values?match[]={Uri.EscapeDataString(match)}", cancellationToken);
        return data.EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    /// <summary>The <c>data</c> of a successful API answer.</summary>
    public async Task<JsonElement> GetDataAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Prometheus answered {(int)response.StatusCode} to {Uri.UnescapeDataString(path)}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").Clone();
    }

    /// <summary>Waits until <c>/-/ready</c> answers 200, for at most <paramref name="timeout"/>; false when it never did.</summary>
    public async Task<bool> WaitReadyAsync(Func<bool> hasExited, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetUtcNow() + timeout;
        while (!hasExited() && TimeProvider.System.GetUtcNow() < deadline)
        {
            try
            {
                using var response = await _http.GetAsync("-/ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(PollInterval, TimeProvider.System, cancellationToken);
        }

        return false;
    }

    /// <summary>True when a series of an instant (<c>value</c>) or range (<c>values</c>) answer has a number that is not NaN or infinite.</summary>
    public static bool HasFiniteValue(JsonElement series)
    {
        var samples = series.TryGetProperty("value", out var single) ? [single] : series.GetProperty("values").EnumerateArray().ToArray();
        return samples.Any(s => double.TryParse(s[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value));
    }

    public void Dispose() => _http.Dispose();

    private static string Seconds(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
}

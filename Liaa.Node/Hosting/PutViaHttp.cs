using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Liaa.Node.Api;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Hosting;

/// <summary>
/// <c>put --via URL</c>: publishes through a serving node's HTTP API instead of a short-lived client node. The
/// serving node stores the value as its own, so it is the value's original publisher: it republishes it every
/// <c>RepublishInterval</c> while it runs (and across restarts with a data directory), which a client that exits
/// at once cannot do (Kademlia §2.5: only the publisher renews a value; holders drop it a TTL after publication).
/// </summary>
internal static class PutViaHttp
{
    public static async Task<int> RunAsync(string url, string? token, string key, bool isDigest, DhtValue value, double timeoutSeconds, CancellationToken cancellationToken)
    {
        try
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var node) || node.Scheme is not ("http" or "https"))
            {
                throw new CommandLineException($"--via '{url}' is not an http:// or https:// URL");
            }

            var (body, contentType) = Body(value);
            var target = new Uri(node, $"/v1/values/{Uri.EscapeDataString(key)}{(isDigest ? "?digest=true" : string.Empty)}");
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false })
            {
                // The node runs a whole put (a lookup and k STOREs), each RPC bounded by its own timeout.
                Timeout = TimeSpan.FromSeconds(Math.Max(60, 12 * timeoutSeconds)),
            };
            using var request = new HttpRequestMessage(HttpMethod.Put, target) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CommandLineException($"the value was refused ({(int)response.StatusCode}): {Detail(text)}");
            }

            using var answer = JsonDocument.Parse(text);
            var root = answer.RootElement;
            var published = root.GetProperty("publishedAt").GetDateTimeOffset();
            var expires = root.GetProperty("expiresAt").GetDateTimeOffset();
            var republish = TimeSpan.Parse(root.GetProperty("republishInterval").GetString()!, CultureInfo.InvariantCulture);
            Console.WriteLine($"stored {root.GetProperty("key").GetString()} at {root.GetProperty("storedAt").GetInt32()} of {root.GetProperty("asked").GetInt32()} nodes through {url}");
            Console.WriteLine(
                $"it expires at {NodeCommandLine.FormatTime(expires)} (in {NodeCommandLine.FormatDuration(expires - published)}) unless republished: "
                + $"{url} is its publisher now and republishes it every {NodeCommandLine.FormatDuration(republish)} while it runs");
            return NodeCommandLine.Success;
        }
        catch (Exception ex) when (ex is CommandLineException or HttpRequestException or JsonException or KeyNotFoundException or FormatException or InvalidOperationException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return NodeCommandLine.Failure;
        }
    }

    /// <summary>The body and content type that give the API the value's own type.</summary>
    private static (byte[] Body, string ContentType) Body(DhtValue value) => value.Kind switch
    {
        DhtValueKind.String => (Encoding.UTF8.GetBytes(value.AsString()), "text/plain; charset=utf-8"),
        DhtValueKind.Bytes => (value.AsBytes(), "application/octet-stream"),
        DhtValueKind.Float => (Encoding.UTF8.GetBytes(FloatJson(value.AsDouble())), "application/json"),
        _ => (Encoding.UTF8.GetBytes(ValueText.Format(value)), "application/json"),
    };

    // A float stays a float through JSON: 3 would come back an integer, so it is written 3.0.
    private static string FloatJson(double number)
    {
        if (!double.IsFinite(number))
        {
            throw new CommandLineException($"{number.ToString(CultureInfo.InvariantCulture)} has no JSON form, so it cannot go through the HTTP API; put it with --seed");
        }

        var text = number.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny(".Ee") < 0 ? text + ".0" : text;
    }

    private static string Detail(string problem)
    {
        try
        {
            using var document = JsonDocument.Parse(problem);
            return document.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } text
                ? text
                : document.RootElement.TryGetProperty("title", out var title) ? title.GetString() ?? problem : problem;
        }
        catch (JsonException)
        {
            return problem.Length == 0 ? "(no reason given)" : problem;
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Liaa.Tests.Integration;

namespace Liaa.Tests.Api;

/// <summary>
/// The HTTP API of a live <c>serve</c> process on 127.0.0.1: bad input always gets a 4xx with problem details
/// naming the reason; writes need the bearer token when one is configured; listening beyond loopback without
/// a token is refused at start.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodeApiTests
{
    private const string Token = "a-test-token-of-sufficient-length";

    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static readonly (string Method, string Path, string? Type, string? Body, HttpStatusCode Expected)[] BadRequests =
    [
        ("PUT", "/v1/values/k", "application/xml", "<a/>", HttpStatusCode.UnsupportedMediaType),
        ("PUT", "/v1/values/k", "application/json", "{\"an\":\"object\"}", HttpStatusCode.BadRequest),
        ("PUT", "/v1/values/k", "application/json", "[1,2", HttpStatusCode.BadRequest),
        ("PUT", "/v1/values/k", "application/json", "123456789012345678901234567890", HttpStatusCode.BadRequest),
        ("PUT", "/v1/values/k", "application/json", new string('[', 5000), HttpStatusCode.BadRequest),
        ("PUT", "/v1/values/k", "application/octet-stream", new string('x', 9000), HttpStatusCode.RequestEntityTooLarge),
        ("PUT", "/v1/values/k?digest=true", "text/plain", "v", HttpStatusCode.BadRequest),
        ("PUT", "/v1/values/k?digest=maybe", "text/plain", "v", HttpStatusCode.BadRequest),
        ("GET", "/v1/values/0123?digest=true", null, null, HttpStatusCode.BadRequest),
        ("GET", "/v1/lookups?target=0123&digest=true", null, null, HttpStatusCode.BadRequest),
        ("GET", "/v1/values/never-stored", null, null, HttpStatusCode.NotFound),
        ("GET", "/v1/values/", null, null, HttpStatusCode.NotFound),
        ("GET", "/v1/nothing-here", null, null, HttpStatusCode.NotFound),
        ("POST", "/v1/values/k", "text/plain", "v", HttpStatusCode.MethodNotAllowed),
        ("DELETE", "/v1/node", null, null, HttpStatusCode.MethodNotAllowed),
    ];

    [Fact]
    public async Task BadInput_GetsA4xxProblemWithItsReason_AndTheNodeKeepsServing()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, _, url) = await node.WaitForServeAsync();
        var failures = new List<string>();
        foreach (var (method, path, type, body, expected) in BadRequests)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(new Uri(url), path));
            if (type is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body ?? string.Empty));
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            }

            using var response = await Client.SendAsync(request, Cancel);
            var text = await response.Content.ReadAsStringAsync(Cancel);
            if (response.StatusCode != expected || response.Content.Headers.ContentType?.MediaType != "application/problem+json" || !HasReason(text))
            {
                failures.Add($"{method} {path} ({type}): {(int)response.StatusCode} {response.Content.Headers.ContentType} {text}");
            }
        }

        Assert.Empty(failures);
        using var put = new StringContent("still fine", Encoding.UTF8, "text/plain");
        using var ok = await Client.PutAsync(new Uri(new Uri(url), "/v1/values/k"), put, Cancel);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Lookups_ListsTheLookupsTheNodeRan_ForTheKeyAsked()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, _, url) = await node.WaitForServeAsync();
        using (var miss = await Client.GetAsync(new Uri(new Uri(url), "/v1/values/looked-up"), Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        using var recorded = JsonDocument.Parse(await Client.GetStringAsync(new Uri(new Uri(url), "/v1/lookups?target=looked-up"), Cancel));
        var lookup = Assert.Single(recorded.RootElement.GetProperty("lookups").EnumerateArray());
        Assert.Equal("FIND_VALUE", lookup.GetProperty("kind").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes("looked-up"))), lookup.GetProperty("target").GetString());
        Assert.False(lookup.GetProperty("found").GetBoolean());
        Assert.Equal(0, lookup.GetProperty("contacted").GetInt32());
        Assert.Empty(lookup.GetProperty("rounds").EnumerateArray());

        using var other = JsonDocument.Parse(await Client.GetStringAsync(new Uri(new Uri(url), "/v1/lookups?target=never-looked-up"), Cancel));
        Assert.Empty(other.RootElement.GetProperty("lookups").EnumerateArray());
    }

    [Fact]
    public async Task Put_NeedsTheBearerToken_WhenTheApiListensBeyondLoopback()
    {
        var environment = new Dictionary<string, string> { ["Liaa__Node__ApiToken"] = Token };
        await using var node = NodeProcess.Start(environment, "serve", "--address", "127.0.0.1", "--port", "0", "--http", "0.0.0.0:0");
        var (_, _, announced) = await node.WaitForServeAsync();
        var url = new Uri($"http://127.0.0.1:{new Uri(announced.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port}");

        using var anonymous = await PutAsync(url, authorization: null);
        using var wrong = await PutAsync(url, "Bearer not-the-token");
        using var right = await PutAsync(url, $"Bearer {Token}");
        using var read = await Client.GetAsync(new Uri(url, "/v1/values/guarded"), Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("Liaa:Node:ApiToken", await anonymous.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("guarded value", await read.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Serve_RefusesToStart_WhenTheApiListensBeyondLoopbackWithoutAToken()
    {
        var (exitCode, output) = await NodeProcess.RunAsync(TimeSpan.FromSeconds(60), "serve", "--port", "0", "--http", "0.0.0.0:0");

        Assert.Equal(2, exitCode);
        Assert.Contains("Liaa:Node:Http is 0.0.0.0:0, not a loopback address", output, StringComparison.Ordinal);
        Assert.Contains("Liaa:Node:ApiToken", output, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PutAsync(Uri node, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, "/v1/values/guarded"))
        {
            Content = new StringContent("guarded value", Encoding.UTF8, "text/plain"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await Client.SendAsync(request, Cancel);
    }

    private static bool HasReason(string problem)
    {
        using var document = JsonDocument.Parse(problem);
        var root = document.RootElement;
        return root.TryGetProperty("status", out _) && root.TryGetProperty("title", out var title) && title.GetString() is { Length: > 0 };
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Liaa.Tests.Integration;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Api;

/// <summary>
/// Input at the edges of what the API takes, against a live <c>serve</c> process on 127.0.0.1: values
/// over what every peer can carry, numbers JSON cannot write (NaN, ±Infinity, also after a restart),
/// and requests Kestrel refuses before the API sees them, all answered with problem details that
/// state the limit in the user's terms.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodeApiInputTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_OfAValueOver8140EncodedBytes_Gets413_StatingTheLimitInTheUsersTerms()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, _, url) = await node.WaitForServeAsync();

        using var fits = await PutAsync(url, "fits", Encoding.UTF8.GetBytes(new string('a', 8137)), "text/plain");
        using var text = await PutAsync(url, "text", Encoding.UTF8.GetBytes(new string('a', 8185)), "text/plain");
        using var limitText = await PutAsync(url, "limit", Encoding.UTF8.GetBytes(new string('a', 8192)), "text/plain");
        using var bytes = await PutAsync(url, "bytes", new byte[8138], "application/octet-stream");

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(
            "Values are at most 8,140 bytes encoded (what every peer, Python ones included, can carry); this one is 8,188, a text of 8,185 UTF-8 bytes.",
            await ProblemDetailAsync(text, HttpStatusCode.RequestEntityTooLarge));
        Assert.Equal(
            "Values are at most 8,140 bytes encoded (what every peer, Python ones included, can carry); this one is 8,195, a text of 8,192 UTF-8 bytes.",
            await ProblemDetailAsync(limitText, HttpStatusCode.RequestEntityTooLarge));
        Assert.Equal(
            "Values are at most 8,140 bytes encoded (what every peer, Python ones included, can carry); this one is 8,141, 8,138 raw bytes.",
            await ProblemDetailAsync(bytes, HttpStatusCode.RequestEntityTooLarge));
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    public async Task Put_OfANumberJsonCannotHold_Gets400_AndIsNotStored(string json)
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, _, url) = await node.WaitForServeAsync();

        using var put = await PutAsync(url, "infinite", Encoding.UTF8.GetBytes(json), "application/json");
        var detail = await ProblemDetailAsync(put, HttpStatusCode.BadRequest);
        using var get = await Client.GetAsync(new Uri($"{url}/v1/values/infinite"), Cancel);

        Assert.Contains("finite", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Get_RendersNaNAndInfinityFromPeers_AsJsonStringsOfTypeFloat_AlsoAfterARestart()
    {
        using var data = new TempDirectory();
        var values = new[] { ("nan", "NaN"), ("positive", "Infinity"), ("negative", "-Infinity"), ("plain", "2.5") };
        await using (var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--data", data.Path))
        {
            var (_, port, url) = await node.WaitForServeAsync();
            foreach (var (key, number) in values)
            {
                // The command line is a peer: its STORE reaches the node as any Python peer's would.
                var put = await NodeProcess.RunAsync(CommandTimeout, "put", key, number, "--float", "--seed", $"127.0.0.1:{port}");
                Assert.True(put.ExitCode == 0, put.Output);
            }

            await AssertFloatsAsync(url);
            await node.KillAsync();
        }

        await using var restarted = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--data", data.Path);
        var (_, _, restartedUrl) = await restarted.WaitForServeAsync();
        await AssertFloatsAsync(restartedUrl);

        static async Task AssertFloatsAsync(string url)
        {
            foreach (var (key, body) in new[] { ("nan", "\"NaN\""), ("positive", "\"Infinity\""), ("negative", "\"-Infinity\""), ("plain", "2.5") })
            {
                using var response = await Client.GetAsync(new Uri($"{url}/v1/values/{key}"), Cancel);
                var text = await response.Content.ReadAsStringAsync(Cancel);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{key}: {(int)response.StatusCode} {text}");
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("float", response.Headers.GetValues("Liaa-Value-Type").Single());
                Assert.Equal(body, text);
            }
        }
    }

    [Fact]
    public async Task RequestsKestrelRefuses_GetProblemDetails_NotEmptyBodies()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, _, url) = await node.WaitForServeAsync();

        using var nul = await Client.GetAsync(new Uri($"{url}/v1/values/a%00b"), Cancel);
        using var longKey = await Client.GetAsync(new Uri($"{url}/v1/values/{new string('k', 10_000)}"), Cancel);

        Assert.Contains("request", await ProblemDetailAsync(nul, HttpStatusCode.BadRequest), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("?digest=true", await ProblemDetailAsync(longKey, HttpStatusCode.RequestUriTooLong), StringComparison.Ordinal);

        // The node still serves on a new connection.
        using var after = await Client.GetAsync(new Uri($"{url}/v1/node"), Cancel);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    private static async Task<HttpResponseMessage> PutAsync(string url, string key, byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await Client.PutAsync(new Uri($"{url}/v1/values/{key}"), content, Cancel);
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {response.Content.Headers.ContentType} '{text}'");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{response.Content.Headers.ContentType} '{text}'");
        using var problem = JsonDocument.Parse(text);
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
        return problem.RootElement.GetProperty("detail").GetString() ?? string.Empty;
    }
}

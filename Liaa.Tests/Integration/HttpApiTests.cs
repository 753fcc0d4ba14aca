using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Liaa.Tests.Integration;

/// <summary>
/// The HTTP API of two serving nodes over real UDP: typed values in and out, the routing table and
/// storage views, and problem details for bad input.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HttpApiTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Values_KeepTheirType_AcrossNodes_AndBadInputGetsProblemDetails()
    {
        await using var seed = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (seedId, seedPort, seedHttp) = await seed.WaitForServeAsync();
        await using var other = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--seed", $"127.0.0.1:{seedPort}");
        var (otherId, _, otherHttp) = await other.WaitForServeAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await WaitJoinedAsync(http, otherHttp);

        await PutAsync(http, seedHttp, "text", "hello", "text/plain");
        await PutAsync(http, seedHttp, "bytes", new byte[] { 0, 1, 2, 255 }, "application/octet-stream");
        await PutAsync(http, seedHttp, "int", "-42", "application/json");
        await PutAsync(http, seedHttp, "float", "3.25", "application/json");
        await PutAsync(http, seedHttp, "bool", "true", "application/json");

        await AssertValueAsync(http, otherHttp, "text", "text/plain", Encoding.UTF8.GetBytes("hello"));
        await AssertValueAsync(http, otherHttp, "bytes", "application/octet-stream", [0, 1, 2, 255]);
        await AssertValueAsync(http, otherHttp, "int", "application/json", Encoding.UTF8.GetBytes("-42"));
        await AssertValueAsync(http, otherHttp, "float", "application/json", Encoding.UTF8.GetBytes("3.25"));
        await AssertValueAsync(http, otherHttp, "bool", "application/json", Encoding.UTF8.GetBytes("true"));

        var digest = Liaa.Node.Kademlia.NodeId.FromKey("text").ToString();
        await AssertValueAsync(http, otherHttp, $"{digest}?digest=true", "text/plain", Encoding.UTF8.GetBytes("hello"));

        using var missing = await http.GetAsync(new Uri($"{otherHttp}/v1/values/absent"), Token);
        await AssertProblemAsync(missing, HttpStatusCode.NotFound);
        using var badDigest = await http.GetAsync(new Uri($"{otherHttp}/v1/values/xyz?digest=true"), Token);
        await AssertProblemAsync(badDigest, HttpStatusCode.BadRequest);
        using var array = await SendPutAsync(http, seedHttp, "array", Encoding.UTF8.GetBytes("[1,2]"), "application/json");
        await AssertProblemAsync(array, HttpStatusCode.BadRequest);
        using var badJson = await SendPutAsync(http, seedHttp, "broken", Encoding.UTF8.GetBytes("{"), "application/json");
        await AssertProblemAsync(badJson, HttpStatusCode.BadRequest);
        using var tooLarge = await SendPutAsync(http, seedHttp, "large", new byte[9000], "application/octet-stream");
        await AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge);
        using var wrongType = await SendPutAsync(http, seedHttp, "xml", Encoding.UTF8.GetBytes("<a/>"), "application/xml");
        await AssertProblemAsync(wrongType, HttpStatusCode.UnsupportedMediaType);

        using var node = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{otherHttp}/v1/node"), Token));
        Assert.Equal(otherId, node.RootElement.GetProperty("id").GetString());
        using var table = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{otherHttp}/v1/routing-table"), Token));
        var contact = table.RootElement.GetProperty("buckets").EnumerateArray().SelectMany(b => b.GetProperty("contacts").EnumerateArray()).Single();
        Assert.Equal(seedId, contact.GetProperty("id").GetString());
        Assert.Equal("127.0.0.1", contact.GetProperty("address").GetString());
        Assert.Equal(seedPort, contact.GetProperty("port").GetInt32());
        using var storage = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{seedHttp}/v1/storage"), Token));
        Assert.Equal(5, storage.RootElement.GetProperty("byOrigin").GetProperty("own").GetProperty("keys").GetInt32());
    }

    private static async Task PutAsync(HttpClient http, string node, string key, object body, string contentType)
    {
        var bytes = body as byte[] ?? Encoding.UTF8.GetBytes((string)body);
        using var response = await SendPutAsync(http, node, key, bytes, contentType);
        Assert.True(response.IsSuccessStatusCode, $"PUT {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Token)}");
    }

    private static async Task<HttpResponseMessage> SendPutAsync(HttpClient http, string node, string key, byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await http.PutAsync(new Uri($"{node}/v1/values/{key}"), content, Token);
    }

    private static async Task AssertValueAsync(HttpClient http, string node, string keyAndQuery, string mediaType, byte[] expected)
    {
        using var response = await http.GetAsync(new Uri($"{node}/v1/values/{keyAndQuery}"), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync(Token));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
    }

    private static async Task WaitJoinedAsync(HttpClient http, string url)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var node = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{url}/v1/node"), cts.Token));
            if (node.RootElement.GetProperty("joined").GetBoolean())
            {
                return;
            }

            await Task.Delay(100, cts.Token);
        }
    }
}

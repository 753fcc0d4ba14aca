using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Liaa.Tests.TestSupport;

/// <summary>The node's HTTP API from a test: values, routing table, identity. Never through a proxy.</summary>
internal static class NodeHttp
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>
    /// <c>PUT /v1/values/{key}</c> with a text value (with the node's API <paramref name="token"/>, if it has one);
    /// fails the test with the problem details unless 2xx.
    /// </summary>
    public static async Task PutAsync(Uri node, string key, string value, CancellationToken cancellationToken, string? token = null)
    {
        using var content = new StringContent(value, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, $"/v1/values/{Uri.EscapeDataString(key)}")) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Client.SendAsync(request, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"PUT {key} through {node}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary><c>GET /v1/values/{key}</c>: the status and the body as text.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri node, string key, CancellationToken cancellationToken)
    {
        using var response = await Client.GetAsync(new Uri(node, $"/v1/values/{Uri.EscapeDataString(key)}"), cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Any JSON resource of the node, e.g. <c>/v1/routing-table</c>.</summary>
    public static Task<JsonElement> GetJsonAsync(Uri node, string path, CancellationToken cancellationToken) =>
        Client.GetFromJsonAsync<JsonElement>(new Uri(node, path), cancellationToken);

    /// <summary>How many contacts the node's routing table holds (<c>size</c> of <c>/v1/routing-table</c>).</summary>
    public static async Task<int> RoutingTableSizeAsync(Uri node, CancellationToken cancellationToken) =>
        (await GetJsonAsync(node, "/v1/routing-table", cancellationToken)).GetProperty("size").GetInt32();
}

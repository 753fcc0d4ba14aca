using System.Net.Http.Headers;
using System.Text;

namespace Liaa.Tests.Integration;

/// <summary>
/// A serving node that stored and found a value (node ids, message ids and key digests made) has not loaded
/// OpenSSL: it has no use for it, and its libraries cost every node process 3.4 MB of RSS and their start-up
/// (BENCHMARKS.md, "Start-up").
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodeProcessLibrariesTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ServingNodes_ThatPutAndGot_HaveNotLoadedOpenSsl()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/PID/maps");
        await using var seed = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, seedPort, seedHttp) = await seed.WaitForServeAsync();
        await using var other = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--seed", $"127.0.0.1:{seedPort}");
        var (_, _, otherHttp) = await other.WaitForServeAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await WaitHealthyAsync(http, otherHttp);

        using (var content = new ByteArrayContent(Encoding.UTF8.GetBytes("hello")))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            using var put = await http.PutAsync(new Uri($"{seedHttp}/v1/values/greeting"), content, Token);
            Assert.True(put.IsSuccessStatusCode, $"PUT: {(int)put.StatusCode}");
        }

        Assert.Equal("hello", await http.GetStringAsync(new Uri($"{otherHttp}/v1/values/greeting"), Token));

        foreach (var node in new[] { seed, other })
        {
            var libraries = File.ReadAllLines($"/proc/{node.Pid}/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(5))
                .Where(path => path is not null && path.Contains(".so", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            Assert.Contains(libraries, path => path!.Contains("libcoreclr.so", StringComparison.Ordinal));
            Assert.DoesNotContain(libraries, path => path!.Contains("libcrypto", StringComparison.Ordinal)
                || path.Contains("libssl", StringComparison.Ordinal)
                || path.Contains("Cryptography.Native", StringComparison.Ordinal));
        }
    }

    private static async Task WaitHealthyAsync(HttpClient http, string url)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Token);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await http.GetAsync(new Uri($"{url}/health"), bound.Token);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50, bound.Token);
        }
    }
}

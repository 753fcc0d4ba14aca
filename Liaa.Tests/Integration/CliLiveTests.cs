using System.Net.Http.Json;
using System.Text.Json;

namespace Liaa.Tests.Integration;

/// <summary>
/// Three <c>serve</c> processes over real UDP on 127.0.0.1, driven through the command line exactly as
/// the README shows: put through one node, get through another.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliLiveTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PutThroughOneNode_IsReadThroughAnother_AndClientsStayOutOfRoutingTables()
    {
        await using var seed = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--name", "node-0");
        var (_, seedPort, seedHttp) = await seed.WaitForServeAsync();
        var seedAddress = $"127.0.0.1:{seedPort}";
        await using var second = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--seed", seedAddress);
        await using var third = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--seed", seedAddress);
        var (_, _, secondHttp) = await second.WaitForServeAsync();
        var (_, thirdPort, thirdHttp) = await third.WaitForServeAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await WaitHealthyAsync(http, secondHttp);
        await WaitHealthyAsync(http, thirdHttp);

        var put = await NodeProcess.RunAsync(CommandTimeout, "put", "greeting", "hello, dht", "--seed", seedAddress);
        Assert.True(put.ExitCode == 0, put.Output);
        Assert.Matches(@"stored [0-9a-f]{40} at [1-9]\d* of \d+ nodes", put.Output);

        var get = await NodeProcess.RunAsync(CommandTimeout, "get", "greeting", "--seed", $"127.0.0.1:{thirdPort}");
        Assert.Equal(0, get.ExitCode);
        Assert.Equal("string: hello, dht", get.Output.Trim());

        var typed = await NodeProcess.RunAsync(CommandTimeout, "put", "answer", "42", "--int", "--seed", seedAddress);
        Assert.Equal(0, typed.ExitCode);
        var answer = await NodeProcess.RunAsync(CommandTimeout, "get", "answer", "--seed", $"127.0.0.1:{thirdPort}");
        Assert.Equal("integer: 42", answer.Output.Trim());

        var missing = await NodeProcess.RunAsync(CommandTimeout, "get", "never-stored", "--seed", seedAddress);
        Assert.Equal(1, missing.ExitCode);

        var bad = await NodeProcess.RunAsync(CommandTimeout, "put", "k", "not-a-number", "--int", "--seed", seedAddress);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("is not a 64-bit integer", bad.Output, StringComparison.Ordinal);

        // Every routing table holds exactly the two other serving nodes: the short-lived clients asked not to be added.
        foreach (var url in new[] { seedHttp, secondHttp, thirdHttp })
        {
            using var table = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{url}/v1/routing-table"), TestContext.Current.CancellationToken));
            Assert.Equal(2, table.RootElement.GetProperty("size").GetInt32());
        }

        var stored = await http.GetFromJsonAsync<JsonElement>(new Uri($"{seedHttp}/v1/storage"), TestContext.Current.CancellationToken);
        Assert.Equal(2, stored.GetProperty("keys").GetInt32());
    }

    [Fact]
    public async Task Get_ExitsWith2AndReason_WhenNoSeedAnswers()
    {
        var result = await NodeProcess.RunAsync(CommandTimeout, "get", "k", "--seed", "127.0.0.1:9", "--timeout", "0.5");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no seed answered", result.Output, StringComparison.Ordinal);
    }

    private static async Task WaitHealthyAsync(HttpClient http, string url)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await http.GetAsync(new Uri($"{url}/v1/node"), cts.Token);
            using var node = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
            if (node.RootElement.GetProperty("joined").GetBoolean())
            {
                return;
            }

            await Task.Delay(100, cts.Token);
        }
    }
}

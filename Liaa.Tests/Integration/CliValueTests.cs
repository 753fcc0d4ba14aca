using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Liaa.Tests.Integration;

/// <summary>
/// What the command line promises about a value: <c>get</c> names its type, so bytes and the same text
/// never print alike; <c>put</c> says when the value expires, since a short-lived client cannot republish
/// it; <c>put --via</c> publishes through a serving node, which then owns the value and republishes it;
/// and a value over 8,140 encoded bytes is refused before anything is sent, saying why.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class CliValueTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_ShowsTheType_SoBytesAndTheSameTextDiffer()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, port, _) = await node.WaitForServeAsync();
        var seed = $"127.0.0.1:{port}";
        Assert.Equal(0, (await NodeProcess.RunAsync(CommandTimeout, "put", "as-text", "68656c6c6f", "--seed", seed)).ExitCode);
        Assert.Equal(0, (await NodeProcess.RunAsync(CommandTimeout, "put", "as-bytes", "68656c6c6f", "--bytes-hex", "--seed", seed)).ExitCode);
        Assert.Equal(0, (await NodeProcess.RunAsync(CommandTimeout, "put", "as-int", "42", "--int", "--seed", seed)).ExitCode);
        Assert.Equal(0, (await NodeProcess.RunAsync(CommandTimeout, "put", "as-string-42", "42", "--seed", seed)).ExitCode);

        var text = await NodeProcess.RunAsync(CommandTimeout, "get", "as-text", "--seed", seed);
        var bytes = await NodeProcess.RunAsync(CommandTimeout, "get", "as-bytes", "--seed", seed);
        var integer = await NodeProcess.RunAsync(CommandTimeout, "get", "as-int", "--seed", seed);
        var stringOf42 = await NodeProcess.RunAsync(CommandTimeout, "get", "as-string-42", "--seed", seed);
        var valueOnly = await NodeProcess.RunAsync(CommandTimeout, "get", "as-text", "--value-only", "--seed", seed);

        Assert.Equal("string: 68656c6c6f", text.Output.Trim());
        Assert.Equal("bytes: 68656c6c6f", bytes.Output.Trim());
        Assert.Equal("integer: 42", integer.Output.Trim());
        Assert.Equal("string: 42", stringOf42.Output.Trim());
        Assert.Equal("68656c6c6f", valueOnly.Output.Trim());
    }

    [Fact]
    public async Task Put_SaysWhenTheValueExpires_AndPutVia_MakesTheServingNodeItsRepublishingPublisher()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, port, url) = await node.WaitForServeAsync();

        var direct = await NodeProcess.RunAsync(CommandTimeout, "put", "one-shot", "v", "--seed", $"127.0.0.1:{port}");
        var via = await NodeProcess.RunAsync(CommandTimeout, "put", "kept", "v", "--via", url);

        Assert.True(direct.ExitCode == 0, direct.Output);
        Assert.Matches(ExpiryLine(), direct.Output);
        Assert.Contains("not republished", direct.Output, StringComparison.Ordinal);
        Assert.True(via.ExitCode == 0, via.Output);
        Assert.Matches(ExpiryLine(), via.Output);
        Assert.Contains("republishes it every 23 hours", via.Output, StringComparison.Ordinal);

        // The serving node owns what came through its API (and republishes it); the one-shot put is a replica it merely holds.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var storage = await http.GetFromJsonAsync<JsonElement>(new Uri($"{url}/v1/storage"), Cancel);
        var origins = storage.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("key").GetString()!, v => v.GetProperty("origin").GetString());
        Assert.Equal("own", origins[Liaa.Node.Kademlia.NodeId.FromKey("kept").ToString()]);
        Assert.Equal("replicated", origins[Liaa.Node.Kademlia.NodeId.FromKey("one-shot").ToString()]);
    }

    [Fact]
    public async Task Put_RefusesAValueOver8140EncodedBytes_SayingWhy()
    {
        await using var node = NodeProcess.Start("serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0");
        var (_, port, url) = await node.WaitForServeAsync();

        var direct = await NodeProcess.RunAsync(CommandTimeout, "put", "large", new string('a', 8185), "--seed", $"127.0.0.1:{port}");
        var via = await NodeProcess.RunAsync(CommandTimeout, "put", "large", new string('a', 8185), "--via", url);

        Assert.Equal(2, direct.ExitCode);
        Assert.Contains("Values are at most 8,140 bytes encoded (what every peer, Python ones included, can carry); this one is 8,188, a text of 8,185 UTF-8 bytes.", direct.Output, StringComparison.Ordinal);
        Assert.Equal(2, via.ExitCode);
        Assert.Contains("Values are at most 8,140 bytes encoded", via.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 24 hours\)")]
    private static partial Regex ExpiryLine();
}

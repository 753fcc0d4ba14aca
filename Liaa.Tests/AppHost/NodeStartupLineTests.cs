using System.Net;
using System.Text.Json;
using Liaa.AppHost.Orchestration;

namespace Liaa.Tests.AppHost;

public sealed class NodeStartupLineTests
{
    [Fact]
    public void TryParse_ReadsIdAndEndpoints_FromTheStartupLine()
    {
        Assert.True(NodeStartupLine.TryParse(
            "Liaa node 8F3A000000000000000000000000000000000001 listening on udp 127.0.0.1:8468 http http://127.0.0.1:40123/",
            out var startup));

        Assert.Equal("8f3a000000000000000000000000000000000001", startup!.NodeId);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:8468"), startup.UdpEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:40123"), startup.HttpEndpoint);
    }

    [Theory]
    [InlineData("info: Microsoft.Hosting.Lifetime[14] Now listening on: http://127.0.0.1:5000")]
    [InlineData("Liaa node xyz listening on udp 127.0.0.1:8468 http http://127.0.0.1:1")]
    [InlineData("Liaa node 01 listening on udp nowhere http http://127.0.0.1:1")]
    [InlineData("")]
    public void TryParse_ReturnsFalse_ForOtherOutput(string line)
    {
        Assert.False(NodeStartupLine.TryParse(line, out var startup));
        Assert.Null(startup);
    }

    [Theory]
    [InlineData("""{"id":"ABCD","udp":"127.0.0.1:8468","http":"http://127.0.0.1:5000","uptime":1.5}""", "abcd", "127.0.0.1:8468", "http://127.0.0.1:5000")]
    [InlineData("""{"NodeId":"ab","UdpEndpoint":"127.0.0.1:1"}""", "ab", "127.0.0.1:1", null)]
    public void NodeInfo_IsReadLeniently(string json, string id, string? udp, string? http)
    {
        Assert.True(NodeInfo.TryParse(JsonDocument.Parse(json).RootElement, out var info));
        Assert.Equal(new NodeInfo(id, udp, http), info);
    }

    [Theory]
    [InlineData("""{"udp":"127.0.0.1:1"}""")]
    [InlineData("""["id"]""")]
    public void NodeInfo_ReturnsFalse_WithoutAnId(string json)
    {
        Assert.False(NodeInfo.TryParse(JsonDocument.Parse(json).RootElement, out _));
    }
}

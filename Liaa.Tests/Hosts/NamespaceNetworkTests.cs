using Liaa.Tests.ServiceDefaults;

namespace Liaa.Tests.Hosts;

/// <summary>What <see cref="NamespaceNetwork"/> leaves on the machine: nothing, also after a test run that was killed.</summary>
[Trait("Category", "Integration")]
public sealed class NamespaceNetworkTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Create_RemovesWhatADeadTestRunLeftBehind_AndDisposeRemovesItsOwn()
    {
        var ip = NamespaceNetwork.RequireIp();
        var deadPid = Enumerable.Range(0, 1000).Select(i => 3_999_000 + i).First(pid => !Directory.Exists($"/proc/{pid}"));
        var (alias, namespaceStart) = NamespaceNetwork.Marks(deadPid);
        var suffix = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
        var leftNamespace = $"{namespaceStart}{suffix}-0";
        var leftBridge = $"lb{suffix}";
        await IpAsync(ip, "netns", "add", leftNamespace);
        await IpAsync(ip, "link", "add", leftBridge, "type", "bridge");
        await IpAsync(ip, "link", "set", "dev", leftBridge, "alias", alias);
        string[] ours, ourLinks;
        await using (var network = await NamespaceNetwork.CreateAsync(2))
        {
            ours = [network.Namespace(0), network.Namespace(1)];
            ourLinks = [.. network.Links];
            Assert.Contains(ours[1], await IpAsync(ip, "netns", "list"), StringComparison.Ordinal);
        }

        var namespaces = await IpAsync(ip, "netns", "list");
        var links = await IpAsync(ip, "-o", "link", "show");

        Assert.DoesNotContain(leftNamespace, namespaces, StringComparison.Ordinal);
        Assert.DoesNotContain(leftBridge + ":", links, StringComparison.Ordinal);
        Assert.All(ours, name => Assert.DoesNotContain(name, namespaces, StringComparison.Ordinal));
        Assert.Equal(6, ourLinks.Length);
        Assert.All(ourLinks, link => Assert.False(links.Contains($" {link}:", StringComparison.Ordinal) || links.Contains($" {link}@", StringComparison.Ordinal), link));
    }

    private static async Task<string> IpAsync(string ip, params string[] arguments)
    {
        var (exitCode, output, error) = await ToolProcess.RunAsync(ip, arguments, string.Empty, Bound);
        Assert.True(exitCode == 0, $"ip {string.Join(' ', arguments)}: {error}");
        return output;
    }
}

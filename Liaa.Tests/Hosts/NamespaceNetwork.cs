using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Liaa.Tests.ServiceDefaults;

namespace Liaa.Tests.Hosts;

/// <summary>
/// Hosts made of Linux network namespaces: each namespace has its own interfaces, addresses and ports, joined
/// by veth pairs to a bridge. Needs root and iproute2's <c>ip</c>; <see cref="CreateAsync"/> skips the test,
/// saying why, where namespaces cannot be made.
/// </summary>
/// <remarks>
/// <para>
/// Two bridges, both with NO uplink (no physical interface is ever added, nothing is forwarded or NATed): the
/// <em>data</em> bridge carries the Kademlia traffic between the hosts and has no address in the root namespace
/// (the test process is not on it); the <em>management</em> bridge carries only the test's HTTP calls to each node's
/// API, from an address the root namespace gets on it. The Liaa rule that live tests send traffic only to
/// 127.0.0.0/8 exists so nothing leaves the machine; these private addresses exist only on these bridges,
/// which exist only on this machine, and the issue asks for exactly this (issue 17). Cutting a host's data link
/// leaves its API reachable, so a test can ask a cut-off host what it sees.
/// </para>
/// <para>
/// Every name carries a random suffix (interface names stay within Linux's 15 characters), so test runs by
/// others at the same time cannot clash; the two subnets are chosen at random among 10.64–250.x.0/24 that no
/// address or route of the machine overlaps. Everything made is removed on dispose, also when the test failed;
/// and anything a dead test process left behind (its PID is in the namespace names and link aliases) is removed
/// before a new network is made.
/// </para>
/// </remarks>
internal sealed partial class NamespaceNetwork : IAsyncDisposable
{
    private const string NamespacePrefix = "liaah-";
    private const string AliasPrefix = "liaa-hosts-test pid=";
    private static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(20);
    private static readonly string[] IpPaths = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];

    private readonly string _ip;
    private readonly string _suffix;
    private readonly List<string> _namespaces = [];
    private readonly List<string> _links = [];

    private NamespaceNetwork(string ip, string suffix, string dataPrefix, string managementPrefix)
    {
        _ip = ip;
        _suffix = suffix;
        DataPrefix = dataPrefix;
        ManagementPrefix = managementPrefix;
    }

    /// <summary>The data subnet's first three octets, e.g. <c>10.213.7</c>: host i has <c>{DataPrefix}.{i + 1}</c>.</summary>
    public string DataPrefix { get; }

    /// <summary>The management subnet's first three octets: host i's API is on <c>{ManagementPrefix}.{i + 1}</c>.</summary>
    public string ManagementPrefix { get; }

    public int Count => _namespaces.Count;

    /// <summary>The links made in the root namespace (bridges, the bridge ends of the veths).</summary>
    public IReadOnlyList<string> Links => _links;

    /// <summary>Host <paramref name="index"/>'s namespace name.</summary>
    public string Namespace(int index) => _namespaces[index];

    /// <summary>Host <paramref name="index"/>'s first data address.</summary>
    public IPAddress DataAddress(int index) => IPAddress.Parse($"{DataPrefix}.{index + 1}");

    /// <summary>Host <paramref name="index"/>'s management address (for its HTTP API).</summary>
    public IPAddress ManagementAddress(int index) => IPAddress.Parse($"{ManagementPrefix}.{index + 1}");

    /// <summary>The command that runs what follows it inside host <paramref name="index"/>: <c>ip netns exec NAME</c>.</summary>
    public IReadOnlyList<string> Launcher(int index) => [_ip, "netns", "exec", _namespaces[index]];

    /// <summary>Makes <paramref name="hosts"/> namespaces on the two bridges, or skips the test saying why it cannot.</summary>
    public static async Task<NamespaceNetwork> CreateAsync(int hosts)
    {
        var ip = RequireIp();
        await RemoveStaleAsync(ip);

        var taken = await TakenNetworksAsync(ip);
        var data = FreeSubnet(taken, null);
        var management = FreeSubnet(taken, data);
        var network = new NamespaceNetwork(ip, Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())).AsSpan(0, 6).ToString(), data, management);
        try
        {
            await network.MakeAsync(hosts);
            return network;
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.SkipException)
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>The path of <c>ip</c>; skips the test, saying why, where namespaces cannot be made (not Linux, no <c>ip</c>, not root).</summary>
    public static string RequireIp()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "network namespaces need Linux");
        var ip = IpPaths.FirstOrDefault(File.Exists);
        Assert.SkipWhen(ip is null, "iproute2's 'ip' is not installed (Debian package iproute2; ./test.sh installs it)");
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "making network namespaces needs root");
        return ip!;
    }

    /// <summary>The alias a link of a test process with <paramref name="pid"/> carries, and the name of its namespaces' start.</summary>
    public static (string LinkAlias, string NamespaceStart) Marks(int pid) =>
        (AliasPrefix + pid.ToString(CultureInfo.InvariantCulture), $"{NamespacePrefix}{pid}-");

    /// <summary>Unplugs host <paramref name="index"/>'s data cable: the bridge side of its veth goes down.</summary>
    public Task CutAsync(int index) => RunAsync("link", "set", DataLink(index), "down");

    /// <summary>Plugs the cable back in.</summary>
    public Task RestoreAsync(int index) => RunAsync("link", "set", DataLink(index), "up");

    /// <summary>Gives host <paramref name="index"/> another data address (<c>{DataPrefix}.{lastOctet}</c>), as a host that moved.</summary>
    public async Task<IPAddress> AddDataAddressAsync(int index, int lastOctet)
    {
        await RunAsync("-n", _namespaces[index], "addr", "add", $"{DataPrefix}.{lastOctet}/24", "dev", "data0");
        return IPAddress.Parse($"{DataPrefix}.{lastOctet}");
    }

    /// <summary>Deletes the namespaces (their ends of the veths go with them) and the bridges; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var name in _namespaces)
        {
            await KillProcessesInAsync(_ip, name);
            await TryRunAsync(_ip, "netns", "del", name);
        }

        foreach (var link in _links)
        {
            await TryRunAsync(_ip, "link", "del", link);
        }
    }

    private string DataLink(int index) => $"ld{_suffix}{index}";

    private async Task MakeAsync(int hosts)
    {
        var alias = Marks(Environment.ProcessId).LinkAlias;
        try
        {
            await MakeLinkAsync($"lb{_suffix}", alias, "type", "bridge");
            await RunAsync("netns", "add", NamespaceName(0));
        }
        catch (InvalidOperationException ex)
        {
            await DisposeAsync();
            Assert.Skip($"network namespaces cannot be made here: {ex.Message}");
        }

        _namespaces.Add(NamespaceName(0));
        await MakeLinkAsync($"lm{_suffix}", alias, "type", "bridge");
        await RunAsync("addr", "add", $"{ManagementPrefix}.254/24", "dev", $"lm{_suffix}");
        await RunAsync("link", "set", $"lb{_suffix}", "up");
        await RunAsync("link", "set", $"lm{_suffix}", "up");
        for (var i = 0; i < hosts; i++)
        {
            if (i > 0)
            {
                await RunAsync("netns", "add", NamespaceName(i));
                _namespaces.Add(NamespaceName(i));
            }

            var name = _namespaces[i];
            await RunAsync("-n", name, "link", "set", "lo", "up");
            await PlugAsync(name, alias, $"ld{_suffix}{i}", $"lb{_suffix}", "data0", $"{DataPrefix}.{i + 1}/24");
            await PlugAsync(name, alias, $"lx{_suffix}{i}", $"lm{_suffix}", "mgmt0", $"{ManagementPrefix}.{i + 1}/24");
        }
    }

    private string NamespaceName(int index) => $"{Marks(Environment.ProcessId).NamespaceStart}{_suffix}-{index}";

    /// <summary>A veth pair: one end on <paramref name="bridge"/>, the other in the namespace with an address.</summary>
    private async Task PlugAsync(string name, string alias, string link, string bridge, string inside, string address)
    {
        var peer = "p" + link[1..];
        await MakeLinkAsync(link, alias, "type", "veth", "peer", "name", peer, "netns", name);
        await RunAsync("-n", name, "link", "set", peer, "name", inside);
        await RunAsync("-n", name, "addr", "add", address, "dev", inside);
        await RunAsync("-n", name, "link", "set", inside, "up");
        await RunAsync("link", "set", link, "master", bridge, "up");
    }

    private async Task MakeLinkAsync(string link, string alias, params string[] kind)
    {
        await RunAsync(["link", "add", link, .. kind]);
        _links.Add(link);
        await RunAsync("link", "set", "dev", link, "alias", alias);
    }

    private async Task RunAsync(params string[] arguments)
    {
        var (exitCode, _, error) = await ToolProcess.RunAsync(_ip, arguments, string.Empty, CommandBound);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error.Trim()} (exit {exitCode})");
        }
    }

    private static async Task<string> TryRunAsync(string ip, params string[] arguments)
    {
        try
        {
            var (_, output, _) = await ToolProcess.RunAsync(ip, arguments, string.Empty, CommandBound);
            return output;
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            return string.Empty;
        }
    }

    /// <summary>Stops, by PID, whatever still runs in a namespace of ours (a node the test did not stop), so it can go.</summary>
    private static async Task KillProcessesInAsync(string ip, string name)
    {
        foreach (var pid in (await TryRunAsync(ip, "netns", "pids", name)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture));
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    /// <summary>Removes the namespaces and links a test process that no longer runs left behind (it was killed mid-test).</summary>
    private static async Task RemoveStaleAsync(string ip)
    {
        foreach (Match match in StaleNamespace().Matches(await TryRunAsync(ip, "netns", "list")))
        {
            if (!IsRunning(match.Groups["pid"].Value))
            {
                await KillProcessesInAsync(ip, match.Groups["name"].Value);
                await TryRunAsync(ip, "netns", "del", match.Groups["name"].Value);
            }
        }

        foreach (Match match in StaleLink().Matches(await TryRunAsync(ip, "-o", "link", "show")))
        {
            if (!IsRunning(match.Groups["pid"].Value))
            {
                await TryRunAsync(ip, "link", "del", match.Groups["name"].Value);
            }
        }
    }

    private static bool IsRunning(string pid) => pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture) || Directory.Exists($"/proc/{pid}");

    /// <summary>Every IPv4 network the machine has an address or a route in.</summary>
    private static async Task<List<(uint Network, int Length)>> TakenNetworksAsync(string ip)
    {
        var text = await TryRunAsync(ip, "-o", "-4", "addr", "show") + "\n" + await TryRunAsync(ip, "-4", "route", "show", "table", "all");
        var taken = new List<(uint, int)>();
        foreach (Match match in Prefix().Matches(text))
        {
            if (IPAddress.TryParse(match.Groups["address"].Value, out var address) && address.AddressFamily == AddressFamily.InterNetwork)
            {
                var length = match.Groups["length"].Success ? int.Parse(match.Groups["length"].Value, CultureInfo.InvariantCulture) : 32;
                taken.Add((Bits(address) & Mask(length), length));
            }
        }

        return taken;
    }

    /// <summary>A random 10.a.b.0/24 (a in 64–250) that overlaps nothing taken and is not <paramref name="other"/>.</summary>
    private static string FreeSubnet(List<(uint Network, int Length)> taken, string? other)
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var prefix = $"10.{Random.Shared.Next(64, 251)}.{Random.Shared.Next(0, 256)}";
            var network = Bits(IPAddress.Parse(prefix + ".0"));
            var overlaps = taken.Any(t => (network & Mask(Math.Min(24, t.Length))) == (t.Network & Mask(Math.Min(24, t.Length))));
            if (!overlaps && prefix != other)
            {
                return prefix;
            }
        }

        throw new InvalidOperationException("no free 10.x.y.0/24 subnet found");
    }

    private static uint Bits(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static uint Mask(int length) => length == 0 ? 0 : uint.MaxValue << (32 - length);

    [GeneratedRegex(@"^(?<name>liaah-(?<pid>\d+)-[0-9a-f]+-\d+)", RegexOptions.Multiline)]
    private static partial Regex StaleNamespace();

    [GeneratedRegex(@"^\d+: (?<name>[^:@\s]+)[@:].*alias liaa-hosts-test pid=(?<pid>\d+)", RegexOptions.Multiline)]
    private static partial Regex StaleLink();

    [GeneratedRegex(@"(?:^|\s)(?<address>\d+\.\d+\.\d+\.\d+)(?:/(?<length>\d+))?")]
    private static partial Regex Prefix();
}

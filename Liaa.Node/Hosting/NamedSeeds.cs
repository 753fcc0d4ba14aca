using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Liaa.Node.Hosting;

/// <summary>
/// Seeds given by DNS name (<c>--seed seed.example.org:8468</c>, <c>Liaa__Node__Seeds__0</c>), resolved at every
/// join attempt: a seed that moved (a restarted pod, a changed A record) is found at its new address on the
/// next retry, as the Python nodes resolve theirs with <c>getaddrinfo</c> before bootstrapping. Every address a
/// name resolves to is a seed (a headless Service names all its pods), up to <see cref="MaxAddressesPerName"/>.
/// </summary>
/// <remarks>
/// Only seeds are names. Contacts learnt from peers are always addresses: the wire carries IP text and the
/// decoder refuses anything else, so a peer can never make this node resolve a name.
/// </remarks>
internal sealed class NamedSeeds
{
    /// <summary>The most addresses taken from one name (the rest are left out of the join).</summary>
    public const int MaxAddressesPerName = 16;

    /// <summary>How long one resolution may take before it counts as failed. <value>10 seconds.</value></summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(10);

    private readonly HostResolver _resolver;
    private readonly TimeProvider _time;

    public NamedSeeds(IReadOnlyList<DnsEndPoint> names, HostResolver? resolver = null, TimeProvider? timeProvider = null)
    {
        Names = names;
        _resolver = resolver ?? Dns.GetHostAddressesAsync;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Resolves a host name to its addresses (the system resolver by default; tests inject their own).</summary>
    public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken cancellationToken);

    public IReadOnlyList<DnsEndPoint> Names { get; }

    /// <summary>
    /// Parses HOST:PORT where HOST is a DNS name (not an IP address: <see cref="IPEndPoint.TryParse(string, out IPEndPoint?)"/>
    /// takes those). False for anything else, including a port outside 1–65535.
    /// </summary>
    public static bool TryParse(string text, out DnsEndPoint? seed)
    {
        seed = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > IPEndPoint.MaxPort)
        {
            return false;
        }

        var host = text[..colon];
        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            return false;
        }

        seed = new DnsEndPoint(host, port);
        return true;
    }

    /// <summary>
    /// Resolves every name now, keeping the addresses a socket bound to <paramref name="local"/> can reach (IPv4 for an
    /// IPv4 socket, IPv6 for an IPv6 one, both for a dual-stack one). A name that fails, or has no usable
    /// address, is named in <see cref="Resolution.Problems"/>; the others still count.
    /// </summary>
    public async Task<Resolution> ResolveAsync(IPEndPoint local, CancellationToken cancellationToken)
    {
        var endPoints = new List<IPEndPoint>();
        var problems = new List<string>();
        foreach (var name in Names)
        {
            IPAddress[] addresses;
            try
            {
                addresses = await _resolver(name.Host, cancellationToken).WaitAsync(ResolveTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                problems.Add($"Seed {name.Host}:{name.Port} does not resolve ({ex.Message}).");
                continue;
            }
            catch (TimeoutException)
            {
                problems.Add($"Seed {name.Host}:{name.Port} did not resolve within {ResolveTimeout.TotalSeconds:0} seconds.");
                continue;
            }

            var usable = addresses.Select(Unmap).Where(a => CanReach(local, a)).Distinct().Take(MaxAddressesPerName).ToArray();
            if (usable.Length == 0)
            {
                var family = local.AddressFamily == AddressFamily.InterNetwork ? "IPv4 " : local.Address.Equals(IPAddress.IPv6Any) ? string.Empty : "IPv6 ";
                problems.Add($"Seed {name.Host}:{name.Port} resolves to no {family}address ({(addresses.Length == 0 ? "none at all" : string.Join(", ", addresses.Select(a => a.ToString())))}).");
                continue;
            }

            endPoints.AddRange(usable.Select(a => new IPEndPoint(a, name.Port)).Where(e => !endPoints.Contains(e)));
        }

        return new Resolution(endPoints, problems);
    }

    private static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool CanReach(IPEndPoint local, IPAddress address) => local.AddressFamily switch
    {
        AddressFamily.InterNetwork => address.AddressFamily == AddressFamily.InterNetwork,
        _ when local.Address.Equals(IPAddress.IPv6Any) => address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6,
        _ => address.AddressFamily == AddressFamily.InterNetworkV6,
    };

    /// <summary>What one resolution found: the seeds' addresses, and why any name gave none.</summary>
    internal sealed record Resolution(IReadOnlyList<IPEndPoint> EndPoints, IReadOnlyList<string> Problems);
}

using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Net;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Dashboards;

/// <summary>
/// What a user does to a cluster while watching the dashboards, in a loop until disposed: every
/// 100 ms a put through one node, a get of the previous key through the next, a get of a key nobody
/// stored through the one after (a FIND_VALUE lookup), and one malformed datagram to the node's UDP
/// port, which it drops without reply (so the dropped-datagram series exist). Failed requests are
/// counted, not thrown: the queries under test tell whether the traffic got through.
/// </summary>
internal sealed class ClusterTraffic : IAsyncDisposable
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _rounds;
    private int _failures;

    private ClusterTraffic(IReadOnlyList<TrafficNode> nodes)
    {
        _loop = Task.Run(() => RunAsync(nodes, _stop.Token));
    }

    /// <summary>Rounds completed with every HTTP request answered.</summary>
    public int Rounds => Volatile.Read(ref _rounds);

    public int Failures => Volatile.Read(ref _failures);

    public static ClusterTraffic Start(IReadOnlyList<TrafficNode> nodes) => new(nodes);

    /// <summary>Traffic through every node of an AppHost cluster.</summary>
    public static ClusterTraffic Start(AspireCluster cluster) =>
        new([.. cluster.NodeNames.Select((name, i) => new TrafficNode(cluster.Http(name), new IPEndPoint(IPAddress.Loopback, cluster.UdpBase + i)))]);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(15));
        _stop.Dispose();
    }

    private async Task RunAsync(IReadOnlyList<TrafficNode> nodes, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        for (var round = 0; !cancellationToken.IsCancellationRequested; round++)
        {
            var through = nodes[round % nodes.Count];
            try
            {
                using var value = new StringContent($"value {round}", Encoding.UTF8);
                value.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
                using var put = await http.PutAsync(new Uri(through.Http, $"/v1/values/dashboards-{round}"), value, cancellationToken);
                using var hit = await http.GetAsync(new Uri(nodes[(round + 1) % nodes.Count].Http, $"/v1/values/dashboards-{Math.Max(0, round - 1)}"), cancellationToken);
                using var miss = await http.GetAsync(new Uri(nodes[(round + 2) % nodes.Count].Http, $"/v1/values/never-stored-{round}"), cancellationToken);
                await udp.SendAsync(new byte[] { 0x00 }, through.Udp, cancellationToken);
                if (put.IsSuccessStatusCode && hit.IsSuccessStatusCode && (int)miss.StatusCode == 404)
                {
                    Interlocked.Increment(ref _rounds);
                }
                else
                {
                    Interlocked.Increment(ref _failures);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or SocketException or TaskCanceledException)
            {
                // A node stopped by the test, or a slow answer: counted, and the loop goes on.
                Interlocked.Increment(ref _failures);
            }

            try
            {
                await Task.Delay(Pause, TimeProvider.System, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>A node as the traffic reaches it: its HTTP API and its UDP port.</summary>
internal sealed record TrafficNode(Uri Http, IPEndPoint Udp);

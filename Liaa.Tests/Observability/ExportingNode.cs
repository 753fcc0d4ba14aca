using Liaa.Tests.Integration;

namespace Liaa.Tests.Observability;

/// <summary>
/// A <c>Liaa.Node serve</c> process started the way a user would by hand, with an OpenTelemetry
/// environment of the test's choosing (and nothing inherited about OTLP): a <see cref="NodeProcess"/>
/// that is healthy once started. Disposing kills it by pid, bounded in time.
/// </summary>
internal sealed class ExportingNode : IAsyncDisposable
{
    /// <summary>Only catches a node that never turns healthy (a busy machine's start took over 30 s).</summary>
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(120);

    private readonly NodeProcess _process;

    private ExportingNode(NodeProcess process)
    {
        _process = process;
    }

    public int ProcessId => _process.Pid;

    public string Id { get; private set; } = string.Empty;

    public int UdpPort { get; private set; }

    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>Starts <c>serve</c> on free loopback ports, named <paramref name="name"/>, and waits until it is healthy.</summary>
    public static async Task<ExportingNode> StartAsync(
        string name,
        IReadOnlyDictionary<string, string> environment,
        int? seedPort,
        CancellationToken cancellationToken)
    {
        string[] arguments = ["serve", "--address", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--name", name];
        var node = new ExportingNode(NodeProcess.Start(environment, seedPort is { } port ? [.. arguments, "--seed", $"127.0.0.1:{port}"] : arguments));
        try
        {
            (node.Id, node.UdpPort, var http) = await node._process.WaitForServeAsync();
            node.HttpEndpoint = new Uri(http);
            await node.WaitHealthyAsync(cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(StartBound);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        try
        {
            while (true)
            {
                using var response = await http.GetAsync(new Uri(HttpEndpoint, "/health"), bound.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, bound.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The node was not healthy within {StartBound.TotalSeconds} s:\n{string.Join('\n', _process.Output)}");
        }
    }
}

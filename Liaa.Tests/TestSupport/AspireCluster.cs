using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// <c>Liaa.AppHost</c> itself, started through <c>Aspire.Hosting.Testing</c>: the app model a user runs,
/// on free ports (a free run of UDP ports for the nodes; free TCP ports for the Aspire dashboard, which
/// is on, secured by a browser token and API keys this fixture chooses), with Prometheus scraping every
/// second when it is installed. Ready once every node resource is healthy.
/// </summary>
/// <remarks>
/// Disposal stops the application: DCP stops every process it started. Subclasses change the node
/// count or pass node configuration.
/// </remarks>
public class AspireCluster : IAsyncLifetime
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(150);

    private DistributedApplication? _app;

    public AspireCluster()
        : this(5, new Dictionary<string, string>())
    {
    }

    protected AspireCluster(int nodes, IReadOnlyDictionary<string, string> nodeConfiguration)
    {
        NodeCount = nodes;
        NodeConfiguration = nodeConfiguration;
    }

    public int NodeCount { get; }

    public IReadOnlyDictionary<string, string> NodeConfiguration { get; }

    public int UdpBase { get; private set; }

    public Uri Dashboard { get; private set; } = null!;

    /// <summary>The dashboard's browser token: <c>{Dashboard}/login?t={BrowserToken}</c> signs in.</summary>
    public string BrowserToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The key of the dashboard's telemetry API (<c>/api/telemetry/…</c>).</summary>
    public string DashboardApiKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    internal DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost did not start.");

    public IEnumerable<string> NodeNames => Enumerable.Range(0, NodeCount).Select(i => $"node-{i}");

    /// <summary>Whether Prometheus is part of this run (Debian's <c>prometheus</c> is installed).</summary>
    public static bool HasPrometheus => File.Exists("/usr/bin/prometheus");

    public async ValueTask InitializeAsync()
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(StartBound);
        UdpBase = FreePorts.UdpRun(NodeCount);
        Dashboard = new Uri($"http://127.0.0.1:{FreePorts.Tcp()}");
        List<string> args =
        [
            "--nodes", NodeCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--port", UdpBase.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--scrape-interval", "00:00:01",
            $"--ASPNETCORE_URLS={Dashboard.AbsoluteUri.TrimEnd('/')}",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Tcp()}",
            $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Tcp()}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            $"--AppHost:BrowserToken={BrowserToken}",
            $"--AppHost:DashboardApiKey={DashboardApiKey}",
        ];
        args.AddRange(NodeConfiguration.Select(pair => $"--Liaa:AppHost:NodeConfiguration:{pair.Key}={pair.Value}"));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Liaa_AppHost>(
            [.. args],
            (options, _) =>
            {
                options.DisableDashboard = false;
                options.AllowUnsecuredTransport = true;
            },
            bound.Token);
        _app = await builder.BuildAsync(bound.Token);
        await _app.StartAsync(bound.Token);
        await Task.WhenAll(NodeNames.Select(n => _app.ResourceNotifications.WaitForResourceHealthyAsync(n, bound.Token)));

        // The testing builder may move the dashboard from the address asked for: use where it listens.
        Dashboard = _app.GetEndpoint("aspire-dashboard", "http");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A resource's HTTP endpoint (a node's API, the explorer, Prometheus).</summary>
    public Uri Http(string resource) => App.GetEndpoint(resource, "http");

    public Task WaitHealthyAsync(string resource, CancellationToken cancellationToken) =>
        App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);

    /// <summary>Runs a dashboard command on a resource, with the arguments its dialog would ask for.</summary>
    public Task<ExecuteCommandResult> CommandAsync(string resource, string command, IReadOnlyDictionary<string, string>? arguments, CancellationToken cancellationToken)
    {
        var inputs = new InteractionInputCollection([.. (arguments ?? new Dictionary<string, string>()).Select(a => new InteractionInput { Name = a.Key, InputType = InputType.Text, Value = a.Value })]);
        return App.ResourceCommands.ExecuteCommandAsync(resource, command, inputs, cancellationToken);
    }

    /// <summary>The resource's current snapshot.</summary>
    public CustomResourceSnapshot Snapshot(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var current) ? current.Snapshot : throw new InvalidOperationException($"no state for {resource}");

    /// <summary>GET of the dashboard's telemetry API with its key; the JSON, or null on 404.</summary>
    public async Task<JsonElement?> TelemetryAsync(string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Dashboard, path));
        request.Headers.Add("x-api-key", DashboardApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }
}

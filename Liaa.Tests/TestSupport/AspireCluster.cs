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
/// second when it is installed. Ready once every node resource and the explorer are healthy.
/// </summary>
/// <remarks>
/// Shared by the classes of <see cref="AspireClusterCollection"/> (one start for all of them). Disposal
/// stops the application: DCP stops every process it started. Subclasses change the node count or
/// pass node configuration.
/// </remarks>
public class AspireCluster : IAsyncLifetime
{
    // Catches a cluster that never comes up, not a slow one: the 12-node churn cluster missed 150 s at load 80 on 2 cores.
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(360);

    private DistributedApplication? _app;

    public AspireCluster()
        : this(5, new Dictionary<string, string>())
    {
    }

    protected AspireCluster(int nodes, IReadOnlyDictionary<string, string> nodeConfiguration, bool withPrometheus = true)
    {
        NodeCount = nodes;
        NodeConfiguration = nodeConfiguration;
        WithPrometheus = withPrometheus;
    }

    /// <summary>Whether the AppHost starts Prometheus (when installed).</summary>
    public bool WithPrometheus { get; }

    public int NodeCount { get; }

    public IReadOnlyDictionary<string, string> NodeConfiguration { get; }

    public int UdpBase { get; private set; }

    public Uri Dashboard { get; private set; } = null!;

    /// <summary>The dashboard's browser token: <c>{Dashboard}/login?t={BrowserToken}</c> signs in.</summary>
    public string BrowserToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The key of the dashboard's telemetry API (<c>/api/telemetry/…</c>, header <c>x-api-key</c>): the
    /// AppHost draws it and hands it to the dashboard process as <c>DASHBOARD__API__PRIMARYAPIKEY</c>,
    /// which is where this reads it from (Linux <c>/proc</c>).
    /// </summary>
    public string DashboardApiKey { get; private set; } = string.Empty;

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
            "--prometheus", WithPrometheus ? "true" : "false",
            "--prometheus-port", "0",
            $"--ASPNETCORE_URLS={Dashboard.AbsoluteUri.TrimEnd('/')}",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Tcp()}",
            $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Tcp()}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            $"--AppHost:BrowserToken={BrowserToken}",
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
        // The explorer starts once every node is healthy (Liaa.AppHost/Program.cs): wait for it too.
        await Task.WhenAll(NodeNames.Append("explorer").Select(n => _app.ResourceNotifications.WaitForResourceHealthyAsync(n, bound.Token)));

        // The testing builder may move the dashboard from the address asked for: use where it listens.
        Dashboard = _app.GetEndpoint("aspire-dashboard", "http");
        var dashboardPid = Convert.ToInt32(Snapshot("aspire-dashboard").Properties.First(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
        DashboardApiKey = (await File.ReadAllTextAsync($"/proc/{dashboardPid}/environ", bound.Token)).Split('\0')
            .Where(v => v.StartsWith("DASHBOARD__API__PRIMARYAPIKEY=", StringComparison.Ordinal))
            .Select(v => v["DASHBOARD__API__PRIMARYAPIKEY=".Length..])
            .Single();
        await WarmUpAsync(bound.Token);
    }

    /// <summary>
    /// A lookup of a missing key through every node, so every node has contacted every other once. The
    /// first exchange between two Liaa nodes is plain rpcudp, without trace context (DESIGN.md), so only
    /// after this does every RPC of a lookup join the caller's trace. Tests that restart a node call it again.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        foreach (var name in NodeNames)
        {
            var (status, _) = await NodeHttp.GetAsync(Http(name), $"warm-up-{name}-{Guid.NewGuid():N}", cancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, status);
        }
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

    /// <summary>The spans of one trace in the dashboard (empty until they arrive).</summary>
    internal async Task<IReadOnlyList<Otlp.StoredSpan>> TraceAsync(string traceId, CancellationToken cancellationToken) =>
        await TelemetryAsync($"/api/telemetry/traces/{traceId}", cancellationToken) is { } json ? DashboardTelemetry.ToSpans(json) : [];

    /// <summary>The structured logs written under one trace, as the dashboard has them.</summary>
    internal async Task<IReadOnlyList<Otlp.StoredLogRecord>> TraceLogsAsync(string traceId, CancellationToken cancellationToken) =>
        await TelemetryAsync($"/api/telemetry/logs?traceId={traceId}", cancellationToken) is { } json
            ? [.. DashboardTelemetry.ToLogs(json).Where(l => l.TraceId == traceId)]
            : [];
}

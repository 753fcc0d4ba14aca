using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>
/// <c>Liaa.AppHost</c> as a user runs it, started through <c>Aspire.Hosting.Testing</c>: five nodes
/// healthy and joined, the dashboard commands, one lookup as one trace in the Aspire dashboard, a
/// crashed node's values still readable, and Prometheus scraping every node.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(AspireClusterCollection.Name)]
public sealed class AppHostClusterTests(AspireCluster cluster)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cluster_IsHealthy_WithEveryNodeKnowingEveryOther_AndItsIdShownAsAProperty()
    {
        foreach (var name in cluster.NodeNames)
        {
            var info = await WaitForAsync(
                () => NodeHttp.GetJsonAsync(cluster.Http(name), "/v1/node", Cancellation),
                i => i.GetProperty("contacts").GetInt32() == cluster.NodeCount - 1);
            Assert.Equal(cluster.NodeCount - 1, info.GetProperty("contacts").GetInt32());
            Assert.Equal($"127.0.0.1:{cluster.UdpBase + int.Parse(name["node-".Length..], System.Globalization.CultureInfo.InvariantCulture)}", info.GetProperty("udp").GetString());

            var id = await WaitForAsync(() => Task.FromResult(Property(name, "liaa.node.id")), v => v == info.GetProperty("id").GetString());
            Assert.Equal(info.GetProperty("id").GetString(), id);
        }
    }

    [Fact]
    public async Task PutCommandOnOneNode_IsReadByGetCommandOnAnother_EachAnsweringWithATraceLink()
    {
        var put = await cluster.CommandAsync("node-1", "liaa-put", new Dictionary<string, string> { ["key"] = "greeting", ["value"] = "hello from node-1" }, Cancellation);
        Assert.True(put.Success, put.Message);
        Assert.StartsWith("Stored `greeting` through node-1", put.Message, StringComparison.Ordinal);

        var get = await cluster.CommandAsync("node-3", "liaa-get", new Dictionary<string, string> { ["key"] = "greeting" }, Cancellation);
        Assert.True(get.Success, get.Message);
        Assert.Equal("`greeting` = `hello from node-1` (through node-3)", get.Message);
        Assert.Matches(@"\[Open the trace\]\(" + System.Text.RegularExpressions.Regex.Escape(cluster.Dashboard.AbsoluteUri.TrimEnd('/')) + "/traces/detail/[0-9a-f]{32}\\)", get.Data!.Value);

        var missing = await cluster.CommandAsync("node-2", "liaa-get", new Dictionary<string, string> { ["key"] = "never stored" }, Cancellation);
        Assert.True(missing.Success, missing.Message);
        Assert.Equal("`never stored` was not found (through node-2)", missing.Message);
    }

    [Fact]
    public async Task Get_IsOneTraceInTheDashboard_AcrossAtLeastThreeNodes()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ActivityHeadersPropagator = null });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Http("node-2"), "/v1/values/traced-key"));
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await http.SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        // Spans reach the dashboard about a second after the operation.
        JsonElement? trace = null;
        var services = await WaitForAsync(
            async () =>
            {
                trace = await cluster.TelemetryAsync($"/api/telemetry/traces/{traceId}", Cancellation);
                return trace is { } t ? ServiceNames(t) : [];
            },
            s => s.Count >= 3 && s.Contains("node-2"));
        Assert.True(services.Count >= 3, $"the trace spans {services.Count} services: {trace}");
        Assert.Contains("node-2", services);
        Assert.All(services, s => Assert.StartsWith("node-", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CrashCommand_KillsTheNode_ItsValuesStayReadable_AndStartBringsItBack()
    {
        var keys = Enumerable.Range(0, 10).Select(i => $"crash-{i}").ToList();
        foreach (var key in keys)
        {
            await NodeHttp.PutAsync(cluster.Http("node-4"), key, "value of " + key, Cancellation);
        }

        var pid = int.Parse(Property("node-4", "executable.pid")!, System.Globalization.CultureInfo.InvariantCulture);
        var crash = await cluster.CommandAsync("node-4", "liaa-crash", null, Cancellation);
        Assert.True(crash.Success, crash.Message);
        using (var bound = new CancellationTokenSource(Bound))
        {
            await cluster.App.ResourceNotifications.WaitForResourceAsync("node-4", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), bound.Token);
        }

        Assert.False(ProcessTable.IsAlive(pid), $"pid {pid} outlived the crash command");
        foreach (var key in keys)
        {
            var (status, body) = await NodeHttp.GetAsync(cluster.Http("node-1"), key, Cancellation);
            Assert.Equal((HttpStatusCode.OK, "value of " + key), (status, body));
        }

        var start = await cluster.App.ResourceCommands.ExecuteCommandAsync("node-4", KnownResourceCommands.StartCommand, Cancellation);
        Assert.True(start.Success, start.Message);
        using (var bound = new CancellationTokenSource(Bound * 2))
        {
            await cluster.WaitHealthyAsync("node-4", bound.Token);
            await cluster.WarmUpAsync(bound.Token);
        }
    }

    [Fact]
    public async Task Prometheus_ScrapesEveryNode_LabelledByItsResourceName()
    {
        Assert.SkipUnless(AspireCluster.HasPrometheus, "prometheus is not installed (apt-get install prometheus; ./test.sh installs it)");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var up = await WaitForAsync(
            async () =>
            {
                var targets = await http.GetFromJsonAsync<JsonElement>(new Uri(cluster.Http("prometheus"), "/api/v1/targets"), Cancellation);
                return targets.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                    .Where(t => t.GetProperty("health").GetString() == "up")
                    .Select(t => t.GetProperty("labels").GetProperty("node").GetString()!)
                    .Order(StringComparer.Ordinal)
                    .ToList();
            },
            nodes => nodes.Count == cluster.NodeCount);
        Assert.Equal(cluster.NodeNames.Order(StringComparer.Ordinal), up);

        // The dashboard's "Prometheus targets" link opens the targets page (Debian's build serves it under /classic/).
        var link = cluster.Snapshot("prometheus").Urls.Single(u => u.DisplayProperties.DisplayName == "Prometheus targets");
        using var page = await http.GetAsync(new Uri(link.Url), Cancellation);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("node-0", await page.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
    }

    private string? Property(string resource, string name) =>
        cluster.Snapshot(resource).Properties.FirstOrDefault(p => p.Name == name)?.Value is { } value
            ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>The <c>service.name</c> of every resource with a span in an OTLP/JSON trace.</summary>
    private static HashSet<string> ServiceNames(JsonElement trace)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                if (element.TryGetProperty("key", out var key) && key.GetString() == "service.name" && element.TryGetProperty("value", out var value))
                {
                    names.Add(value.TryGetProperty("stringValue", out var text) ? text.GetString()! : value.ToString());
                }

                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }

        Walk(trace);
        return names;
    }

    /// <summary>
    /// DCP's API server runs on the P-256 certificate the AppHost made (Liaa.AppHost/DcpCertificate.cs), not on a
    /// 4096-bit RSA key of its own: its command line names the files, in a directory only the user can read.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Dcp_ServesItsApiOnTheCertificateTheAppHostMade()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc");
        var monitor = $"--monitor {Environment.ProcessId} ";
        var apiServer = Directory.EnumerateDirectories("/proc")
            .Select(d => (Directory: d, CommandLine: ReadCommandLine(Path.Combine(d, "cmdline"))))
            .Where(p => p.CommandLine.Length > 1 && Path.GetFileName(p.CommandLine[0]) == "dcp" && p.CommandLine[1] == "start-apiserver" && string.Join(' ', p.CommandLine).Contains(monitor, StringComparison.Ordinal))
            .ToList();

        var (directory, commandLine) = Assert.Single(apiServer);
        var arguments = commandLine.ToList();

        // DCP runs with DCP_DISABLE_MONITOR_PROCESS (from the AppHost's wrapper script, DcpCertificate; NodeBuildTests
        // shows this process's own environment is left alone): no `dcp monitor-process` beside every process it starts.
        Assert.Contains("DCP_DISABLE_MONITOR_PROCESS=1", ReadCommandLine(Path.Combine(directory, "environ")));
        var certificate = arguments[arguments.IndexOf("--tls-cert-file") + 1];
        var key = arguments[arguments.IndexOf("--tls-key-file") + 1];
        Assert.Equal(Path.GetDirectoryName(certificate), Path.GetDirectoryName(key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(key)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        using var served = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(certificate));
        Assert.Equal("1.2.840.10045.2.1", served.PublicKey.Oid.Value);
    }

    private static string[] ReadCommandLine(string path)
    {
        try
        {
            return File.ReadAllText(path).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Reads until <paramref name="done"/> holds or <see cref="Bound"/> passes; returns the last value (the asserts say what is wrong).</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = TimeProvider.System.GetUtcNow() + Bound;
        while (true)
        {
            var value = await read();
            if (done(value) || TimeProvider.System.GetUtcNow() >= deadline)
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, Cancellation);
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.AppHost;

/// <summary>
/// Where nodes send their telemetry: the receiver a <see cref="LiaaCluster"/> runs for itself, an
/// endpoint of the user's, or the AppHost executable's own receiver. Stand-in nodes: what is checked
/// is the environment each node process was given and that the receiver answers there.
/// </summary>
[Trait("Category", "Cluster")]
public sealed partial class ClusterReceiverTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_RunsItsOwnReceiver_AndPointsEveryNodeAtIt_UntilDisposed()
    {
        var options = TestClusters.Options(2, StandInNode.Program);
        options.PassThroughUserOtlpEndpoint = false;
        Uri endpoint;
        await using (var cluster = await TestClusters.StartAsync(options, Cancellation))
        {
            var telemetry = Assert.IsType<ClusterTelemetry>(cluster.Telemetry);
            endpoint = telemetry.Endpoint;
            Assert.Equal("http/protobuf", telemetry.Protocol);
            Assert.Equal(telemetry.Receiver.HttpEndpoint, endpoint);
            Assert.Same(telemetry.Store, cluster.TelemetryStore);
            Assert.All(cluster.Nodes, n => Assert.Equal(
                (endpoint.AbsoluteUri.TrimEnd('/'), "http/protobuf"),
                Exporter(ProcessEnvironment(n.ProcessId!.Value))));
            Assert.Equal(HttpStatusCode.OK, await PostEmptyTracesAsync(endpoint));
        }

        await Assert.ThrowsAsync<HttpRequestException>(() => PostEmptyTracesAsync(endpoint));
    }

    [Fact]
    public async Task StartAsync_RunsNoReceiver_WhenTheNodesExportToAGivenEndpoint()
    {
        var options = TestClusters.Options(1, StandInNode.Program);
        options.PassThroughUserOtlpEndpoint = false;
        options.OtlpEndpoint = new Uri("http://127.0.0.1:4317");
        options.OtlpProtocol = "grpc";

        await using var cluster = await TestClusters.StartAsync(options, Cancellation);

        Assert.Null(cluster.Telemetry);
        Assert.Null(cluster.TelemetryStore);
        Assert.Equal(("http://127.0.0.1:4317", "grpc"), Exporter(ProcessEnvironment(cluster.Seed.ProcessId!.Value)));
    }

    [Fact]
    public async Task StartAsync_ExportsNothing_WhenReceiveTelemetryIsOff()
    {
        var options = TestClusters.Options(1, StandInNode.Program);
        options.PassThroughUserOtlpEndpoint = false;
        options.ReceiveTelemetry = false;

        await using var cluster = await TestClusters.StartAsync(options, Cancellation);

        Assert.Null(cluster.TelemetryStore);
        Assert.Equal((null, null), Exporter(ProcessEnvironment(cluster.Seed.ProcessId!.Value)));
    }

    [Fact]
    public async Task AppHost_PointsItsNodesAtItsOwnReceiver_AndSaysWhere()
    {
        await using var appHost = AppHostProcess.Start(
            ["--nodes", "2", "--no-prometheus", "--seed-port", "0", "--dashboard-port", "0"],
            new Dictionary<string, string?>
            {
                [NodeProgram.NodePathVariable] = StandInNode.ScriptFile,
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
            });
        await appHost.WaitReadyAsync(TimeSpan.FromSeconds(60), Cancellation);
        var line = await WaitForLineAsync(appHost, "Telemetry: ");

        var printed = TelemetryLine().Match(line);
        Assert.True(printed.Success, line);
        foreach (var pid in appHost.HealthyPids.Values)
        {
            Assert.Equal((printed.Groups["http"].Value, "http/protobuf"), Exporter(ProcessEnvironment(pid)));
        }

        Assert.Equal(HttpStatusCode.OK, await PostEmptyTracesAsync(new Uri(printed.Groups["http"].Value)));
        Assert.Equal(2, appHost.HealthyPids.Count);
    }

    private static (string? Endpoint, string? Protocol) Exporter(Dictionary<string, string> environment) =>
        (environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT"), environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_PROTOCOL"));

    private static async Task<string> WaitForLineAsync(AppHostProcess appHost, string prefix)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (appHost.Lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, Cancellation);
        }

        Assert.Fail($"No line starting with '{prefix}':\n{string.Join('\n', appHost.Lines)}");
        return string.Empty;
    }

    /// <summary>An empty <c>ExportTraceServiceRequest</c> (zero bytes is a valid message) over <c>http/protobuf</c>.</summary>
    private static async Task<HttpStatusCode> PostEmptyTracesAsync(Uri receiver)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await http.PostAsync(new Uri(receiver, "/v1/traces"), content, Cancellation);
        return response.StatusCode;
    }

    internal static Dictionary<string, string> ProcessEnvironment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);

    [GeneratedRegex(@"^Telemetry: nodes export OTLP over http/protobuf to the AppHost's receiver \(http/protobuf (?<http>http://127\.0\.0\.1:\d+), grpc http://127\.0\.0\.1:\d+\)\.$")]
    private static partial Regex TelemetryLine();
}

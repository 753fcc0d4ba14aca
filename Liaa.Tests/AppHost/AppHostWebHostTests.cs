using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Liaa.AppHost.Hosting;
using Liaa.AppHost.Orchestration;
using Liaa.AppHost.Otlp;
using Liaa.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Liaa.Tests.AppHost;

/// <summary>
/// The AppHost's web application: the OTLP receiver its nodes are pointed at, the dashboard listener
/// and the extension point for more endpoints, with stand-in nodes (no DHT needed here).
/// </summary>
[Trait("Category", "Integration")]
public sealed class AppHostWebHostTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static HttpClient NewClient() => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Nodes_AreStartedWithTheReceiversEndpoint_AndTheClusterAndStoreAreServices()
    {
        await using var web = new AppHostWebHost(new AppHostWebHostOptions { DashboardPort = 0 });
        var options = TestClusters.Options(2, StandInNode.Program);
        options.PassThroughUserOtlpEndpoint = false;
        options.Telemetry = web.TelemetryFor("grpc");
        var cluster = new LiaaCluster(options);
        await using (cluster)
        {
            await web.StartAsync(cluster, Cancellation);
            await cluster.StartAsync(Cancellation);

            foreach (var node in cluster.Nodes)
            {
                var environment = ClusterReceiverTests.ProcessEnvironment(node.ProcessId!.Value);
                Assert.Equal(web.Receiver.GrpcEndpoint.AbsoluteUri.TrimEnd('/'), environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
                Assert.Equal("grpc", environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
                Assert.Equal(node.Name, environment["OTEL_SERVICE_NAME"]);
            }

            Assert.Same(cluster, web.Services.GetRequiredService<LiaaCluster>());
            Assert.Same(web.Store, web.Services.GetRequiredService<TelemetryStore>());
            Assert.Same(web.Store, cluster.TelemetryStore);
            Assert.Same(web, web.Services.GetRequiredService<AppHostWebHost>());
        }
    }

    [Fact]
    public async Task MappedEndpoints_AnswerOnTheDashboardListener_AndTheOtlpListenersServeOnlyOtlp()
    {
        var options = new AppHostWebHostOptions { DashboardPort = 0 };
        options.MapEndpoints.Add(app => app.MapGet("/extension", (LiaaCluster cluster) => $"nodes: {cluster.Options.Nodes}"));
        await using var web = new AppHostWebHost(options);
        await using var cluster = new LiaaCluster(TestClusters.Options(1, StandInNode.Program));
        await web.StartAsync(cluster, Cancellation);
        using var http = NewClient();

        var dashboard = web.DashboardListenerUrl!;
        Assert.Equal(IPAddress.Loopback.ToString(), dashboard.Host);
        Assert.Equal("nodes: 1", await http.GetStringAsync(new Uri(dashboard, "/extension"), Cancellation));
        using (var onReceiver = await http.GetAsync(new Uri(web.Receiver.HttpEndpoint, "/extension"), Cancellation))
        {
            Assert.Equal(HttpStatusCode.NotFound, onReceiver.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await PostEmptyLogsAsync(http, web.Receiver.HttpEndpoint));
    }

    [Fact]
    public async Task StartAsync_RunsWithoutTheDashboardListener_WhenItsPortIsTaken()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        await using var web = new AppHostWebHost(new AppHostWebHostOptions { DashboardPort = taken });
        await using var cluster = new LiaaCluster(TestClusters.Options(1, StandInNode.Program));

        await web.StartAsync(cluster, Cancellation);

        Assert.Null(web.DashboardListenerUrl);
        Assert.Null(web.DashboardUrl);
        Assert.Equal($"port {taken} on 127.0.0.1 is in use (choose another with --dashboard-port)", web.DashboardProblem);
        using var http = NewClient();
        Assert.Equal(HttpStatusCode.OK, await PostEmptyLogsAsync(http, web.Receiver.HttpEndpoint));
    }

    [Fact]
    public async Task StartAsync_Throws_WhenTheDashboardPortIsTakenAndThatIsNotAllowed()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        await using var web = new AppHostWebHost(new AppHostWebHostOptions
        {
            DashboardPort = ((IPEndPoint)holder.LocalEndpoint).Port,
            ContinueWithoutDashboardPort = false,
        });
        await using var cluster = new LiaaCluster(TestClusters.Options(1, StandInNode.Program));

        await Assert.ThrowsAnyAsync<IOException>(() => web.StartAsync(cluster, Cancellation));
    }

    /// <summary>An empty <c>ExportLogsServiceRequest</c> (zero bytes is a valid message) over <c>http/protobuf</c>.</summary>
    private static async Task<HttpStatusCode> PostEmptyLogsAsync(HttpClient http, Uri receiver)
    {
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await http.PostAsync(new Uri(receiver, "/v1/logs"), content, Cancellation);
        return response.StatusCode;
    }
}

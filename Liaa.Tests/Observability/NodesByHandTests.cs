using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Liaa.Tests.TestSupport.Otlp;

namespace Liaa.Tests.Observability;

/// <summary>
/// Issue 4 as a user tries it: three nodes started by hand, each with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// pointing at an OTLP receiver (Liaa's, standing for any), two over <c>grpc</c> and one over
/// <c>http/protobuf</c>; one put through a node is one trace in the receiver.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class NodesByHandTests
{
    private static readonly string[] Names = ["by-hand-a", "by-hand-b", "by-hand-c"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_IsOneTraceAcrossThreeNodes_ExportedOverBothOtlpProtocols()
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: Cancellation);
        await using var seed = await ExportingNode.StartAsync("by-hand-a", Environment(otlp, "by-hand-a", "grpc"), seedPort: null, Cancellation);
        var (second, caller) = await StartBothAsync(
            ExportingNode.StartAsync("by-hand-b", Environment(otlp, "by-hand-b", "http/protobuf"), seed.UdpPort, Cancellation),
            ExportingNode.StartAsync("by-hand-c", Environment(otlp, "by-hand-c", "grpc"), seed.UdpPort, Cancellation));
        await using var secondLifetime = second;
        await using var callerLifetime = caller;
        ExportingNode[] nodes = [seed, second, caller];

        // Every node asks every other once: the first exchange between two Liaa nodes carries no trace context.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ActivityHeadersPropagator = null });
        foreach (var node in nodes)
        {
            using var warmUp = await http.GetAsync(new Uri(node.HttpEndpoint, "/v1/values/warm-up"), Cancellation);
            Assert.Equal(HttpStatusCode.NotFound, warmUp.StatusCode);
        }

        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(caller.HttpEndpoint, "/v1/values/greeting"))
        {
            Content = new StringContent("hello, traced dht", Encoding.UTF8, new MediaTypeHeaderValue("text/plain")),
        };
        put.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using (var response = await http.SendAsync(put, Cancellation))
        {
            Assert.True(response.IsSuccessStatusCode, $"PUT answered {(int)response.StatusCode}");
        }

        await ClusterTelemetryTests.WaitQuietlyAsync(store, s =>
            ClusterTelemetryTests.IsComplete(s.GetTrace(traceId), "by-hand-c")
            && s.GetTrace(traceId).Count(x => x.Name == "kademlia/STORE" && x.Kind == ActivityKind.Server) == 2
            && s.GetLogs(new LogQuery(TraceId: traceId)).Any(l => s.GetTrace(traceId).Any(x => x.SpanId == l.SpanId))
            && Array.TrueForAll(Names, name => s.GetMetrics(new MetricQuery(ServiceName: name, Name: "liaa.routing.contacts")).Count > 0
                && s.GetLogs(new LogQuery(ServiceName: name)).Count > 0));
        var trace = store.GetTrace(traceId);

        var lookup = Assert.Single(trace, s => s.Name == "lookup FIND_NODE");
        Assert.Equal(new ServiceKey("by-hand-c", caller.Id), lookup.Service);
        var clients = trace.Where(s => s.Kind == ActivityKind.Client && s.Service == lookup.Service).ToDictionary(s => s.SpanId);
        var servers = trace.Where(s => s.Kind == ActivityKind.Server && s.Service != lookup.Service).ToList();
        Assert.All(servers, s => Assert.True(clients.ContainsKey(s.ParentSpanId!), $"{s.Name} on {s.Service} has parent {s.ParentSpanId}, not a client span of the caller"));
        Assert.Equal(
            [
                ("by-hand-a", "kademlia/FIND_NODE"), ("by-hand-a", "kademlia/STORE"),
                ("by-hand-b", "kademlia/FIND_NODE"), ("by-hand-b", "kademlia/STORE"),
            ],
            servers.Select(s => (s.Service.ServiceName, s.Name)).Order());
        Assert.All(servers, s => Assert.Equal(s.Service.ServiceName == "by-hand-a" ? seed.Id : second.Id, s.Service.InstanceId));
        Assert.All(servers, s => Assert.Equal(clients[s.ParentSpanId!].Name, s.Name));
        Assert.Contains(store.GetLogs(new LogQuery(TraceId: traceId)), l => l.Service == lookup.Service && l.Body!.StartsWith("Put ", StringComparison.Ordinal) && trace.Any(s => s.SpanId == l.SpanId));

        // Every signal arrived over both protocols: by-hand-a and by-hand-c export with grpc, by-hand-b with http/protobuf.
        foreach (var name in Names)
        {
            Assert.NotEmpty(store.GetMetrics(new MetricQuery(ServiceName: name, Name: "liaa.routing.contacts")));
            Assert.NotEmpty(store.GetLogs(new LogQuery(ServiceName: name)));
            Assert.NotEmpty(store.GetSpans(new SpanQuery(ServiceName: name)));
        }
    }

    /// <summary>Both nodes start at once (start-up is mostly the runtime's); if one fails, the other is stopped too.</summary>
    private static async Task<(ExportingNode First, ExportingNode Second)> StartBothAsync(Task<ExportingNode> first, Task<ExportingNode> second)
    {
        try
        {
            await Task.WhenAll(first, second);
            return (first.Result, second.Result);
        }
        catch
        {
            foreach (var started in new[] { first, second }.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }
    }

    private static Dictionary<string, string> Environment(OtlpReceiverHost otlp, string name, string protocol) =>
        new(otlp.Receiver.ExporterEnvironment(protocol, TimeSpan.FromSeconds(1))) { ["OTEL_SERVICE_NAME"] = name };
}

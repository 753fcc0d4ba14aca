using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Liaa.AppHost.Otlp;
using Liaa.AppHost.Otlp.Protocol;

namespace Liaa.Tests.Otlp;

/// <summary>
/// The receiver's two transports driven by hand: what a well-behaved exporter may send that the
/// .NET exporter does not by default (gzip), and what must be refused without storing anything.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OtlpReceiverProtocolTests
{
    private const string TraceServicePath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private static byte[] TraceRequest(string serviceName)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()),
            SpanId = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, 8]),
            Name = "PING",
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = 1_735_689_600_000_000_000,
            EndTimeUnixNano = 1_735_689_600_500_000_000,
        };
        var resource = new global::Liaa.AppHost.Otlp.Protocol.Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = serviceName } });
        var resourceSpans = new ResourceSpans { Resource = resource };
        resourceSpans.ScopeSpans.Add(new ScopeSpans { Scope = new InstrumentationScope { Name = "Liaa.Node" }, Spans = { span } });
        return new ExportTraceServiceRequest { ResourceSpans = { resourceSpans } }.ToByteArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] GrpcFrame(byte[] message, bool compressed)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private static HttpRequestMessage GrpcRequest(Uri endpoint, byte[] body, string? encoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, TraceServicePath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (encoding is not null)
        {
            request.Headers.Add("grpc-encoding", encoding);
        }

        return request;
    }

    [Fact]
    public async Task HttpProtobuf_AcceptsGzipBody_AndAnswersWithProtobufResponse()
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(Gzip(TraceRequest("gzip-node")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await http.PostAsync(new Uri(otlp.HttpEndpoint, "/v1/traces"), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        var span = Assert.Single(store.GetSpans());
        Assert.Equal("0102030405060708090a0b0c0d0e0f10", span.TraceId);
        Assert.Equal("0102030405060708", span.SpanId);
        Assert.Equal(new ServiceKey("gzip-node", null), span.Service);
        Assert.Equal(TimeSpan.FromMilliseconds(500), span.Duration);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), span.StartTime);
    }

    [Theory]
    [InlineData("application/json", "{}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/x-protobuf", "\u00ff\u00ff\u00ff", HttpStatusCode.BadRequest)]
    public async Task HttpProtobuf_RefusesAndStoresNothing_WhenBodyIsNotOtlpProtobuf(string contentType, string body, HttpStatusCode expected)
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(body.Select(c => (byte)c).ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await http.PostAsync(new Uri(otlp.HttpEndpoint, "/v1/traces"), content, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(0, store.Version);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "gzip")]
    public async Task Grpc_AcceptsOneFrame_AndAnswersWithFramedResponseAndOkTrailer(bool compressed, string? encoding)
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient();
        var message = TraceRequest("grpc-node");
        using var request = GrpcRequest(otlp.GrpcEndpoint, GrpcFrame(compressed ? Gzip(message) : message, compressed), encoding);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0 }, body);
        Assert.Equal(["0"], response.TrailingHeaders.GetValues("grpc-status"));
        Assert.Equal(new ServiceKey("grpc-node", null), Assert.Single(store.GetSpans()).Service);
    }

    [Theory]
    [InlineData("truncated", "3")]
    [InlineData("two-frames", "3")]
    [InlineData("unknown-encoding", "12")]
    [InlineData("not-protobuf", "3")]
    public async Task Grpc_AnswersWithErrorStatusAndStoresNothing_WhenRequestIsMalformed(string kind, string expectedStatus)
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient();
        var frame = GrpcFrame(TraceRequest("bad"), compressed: false);
        var (body, encoding) = kind switch
        {
            "truncated" => (frame[..^1], (string?)null),
            "two-frames" => ([.. frame, .. frame], null),
            "unknown-encoding" => (GrpcFrame(Gzip(TraceRequest("bad")), compressed: true), "snappy"),
            _ => (GrpcFrame([0xff, 0xff, 0xff], compressed: false), null),
        };
        using var request = GrpcRequest(otlp.GrpcEndpoint, body, encoding);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = response.Headers.TryGetValues("grpc-status", out var values) ? values : response.TrailingHeaders.GetValues("grpc-status");
        Assert.Equal([expectedStatus], status);
        Assert.Equal(0, store.Version);
    }

    [Fact]
    public async Task HttpListener_DoesNotServeGrpc_AndGrpcListenerRefusesHttp1()
    {
        var store = new TelemetryStore();
        await using var otlp = await OtlpReceiverHost.StartAsync(store, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(GrpcFrame(TraceRequest("x"), compressed: false));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var grpcOverHttp1 = await http.PostAsync(new Uri(otlp.HttpEndpoint, TraceServicePath), content, TestContext.Current.CancellationToken);
        using var http1OnGrpcListener = await http.PostAsync(new Uri(otlp.GrpcEndpoint, "/v1/traces"), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, grpcOverHttp1.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, http1OnGrpcListener.StatusCode);
        Assert.Equal(0, store.Version);
    }

    [Fact]
    public async Task ExporterEnvironment_PointsAtTheBoundListeners()
    {
        await using var otlp = await OtlpReceiverHost.StartAsync(new TelemetryStore(), cancellationToken: TestContext.Current.CancellationToken);

        var grpc = otlp.Receiver.ExporterEnvironment();
        var http = otlp.Receiver.ExporterEnvironment("http/protobuf", TimeSpan.FromSeconds(1));

        Assert.Equal($"http://127.0.0.1:{otlp.GrpcEndpoint.Port}", grpc["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("grpc", grpc["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("5000", grpc["OTEL_METRIC_EXPORT_INTERVAL"]);
        Assert.Equal($"http://127.0.0.1:{otlp.HttpEndpoint.Port}", http["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", http["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("1000", http["OTEL_METRIC_EXPORT_INTERVAL"]);
        Assert.NotEqual(otlp.HttpEndpoint.Port, otlp.GrpcEndpoint.Port);
    }
}

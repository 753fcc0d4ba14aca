using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using Liaa.Tests.TestSupport.Otlp.Protocol;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// An OTLP receiver on Kestrel feeding a <see cref="TelemetryStore"/>: <c>http/protobuf</c>
/// (<c>POST /v1/traces|metrics|logs</c>, <c>application/x-protobuf</c>, optionally gzip) on an
/// HTTP/1.1 listener, and <c>grpc</c> (the three collector <c>Export</c> methods, unary, framed
/// here) on an HTTP/2-only listener, since Kestrel speaks cleartext HTTP/2 only on such a listener.
/// </summary>
/// <remarks>
/// <para>Hosting it in a <c>WebApplication</c> (the AppHost also serves its dashboard there):</para>
/// <code>
/// var receiver = new OtlpReceiver(store, new OtlpReceiverOptions { HttpPort = 4318, GrpcPort = 4317 });
/// builder.WebHost.ConfigureKestrel(kestrel =&gt;
/// {
///     receiver.ConfigureListeners(kestrel);
///     kestrel.Listen(IPAddress.Loopback, 18888);   // further listeners as needed
/// });
/// var app = builder.Build();
/// app.MapOtlpReceiver(receiver);
/// await app.StartAsync();
/// // receiver.HttpEndpoint / receiver.GrpcEndpoint: what to put in OTEL_EXPORTER_OTLP_ENDPOINT
/// </code>
/// <para>
/// Or standalone with <see cref="OtlpReceiverHost.StartAsync"/>. Explicit Kestrel listeners replace
/// <c>ASPNETCORE_URLS</c>/<c>UseUrls</c>, so every listener of that app must be configured with
/// <c>Listen</c>. The receiver's own requests are not traced: the AppHost may itself export to it,
/// and tracing its ingestion would feed back into it.
/// </para>
/// </remarks>
internal sealed partial class OtlpReceiver
{
    private const string ProtobufContentType = "application/x-protobuf";
    private const string GrpcContentType = "application/grpc";

    private readonly ILogger _logger;
    private ListenOptions? _httpListener;
    private ListenOptions? _grpcListener;

    public OtlpReceiver(TelemetryStore store, OtlpReceiverOptions? options = null, ILogger<OtlpReceiver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        Options = options ?? new OtlpReceiverOptions();
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public TelemetryStore Store { get; }

    public OtlpReceiverOptions Options { get; }

    /// <summary>Base URL for <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>; known once the server started.</summary>
    public Uri HttpEndpoint => Endpoint(_httpListener, "http/protobuf");

    /// <summary>URL for <c>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</c>; known once the server started.</summary>
    public Uri GrpcEndpoint => Endpoint(_grpcListener, "grpc");

    /// <summary>
    /// The variables that point a node's <c>AddServiceDefaults</c> (or any OpenTelemetry SDK) at this
    /// receiver: endpoint and protocol (<c>grpc</c> or <c>http/protobuf</c>), plus export intervals
    /// short enough for a live dashboard (spans and logs every second, metrics every
    /// <paramref name="metricExportInterval"/>; the SDK defaults are 5 s and 60 s).
    /// </summary>
    public IReadOnlyDictionary<string, string> ExporterEnvironment(string protocol = "grpc", TimeSpan? metricExportInterval = null)
    {
        var endpoint = protocol switch
        {
            "grpc" => GrpcEndpoint,
            "http/protobuf" => HttpEndpoint,
            _ => throw new ArgumentException($"OTLP protocol '{protocol}' is not 'grpc' or 'http/protobuf'.", nameof(protocol)),
        };
        var interval = (long)(metricExportInterval ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.AbsoluteUri.TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = interval.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Adds the two listeners: HTTP/1.1 for <c>http/protobuf</c>, HTTP/2-only for <c>grpc</c>.</summary>
    public void ConfigureListeners(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Listen(Options.Address, Options.HttpPort, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            _httpListener = listen;
        });
        kestrel.Listen(Options.Address, Options.GrpcPort, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            _grpcListener = listen;
        });
    }

    /// <summary>Maps the three <c>http/protobuf</c> paths and the three gRPC methods.</summary>
    public void Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var signal in Enum.GetValues<OtlpSignal>())
        {
            endpoints.MapPost(signal.HttpPath(), context => HandleHttpProtobufAsync(context, signal));
            endpoints.MapPost(signal.GrpcPath(), context => HandleGrpcAsync(context, signal));
        }
    }

    internal async Task HandleHttpProtobufAsync(HttpContext context, OtlpSignal signal)
    {
        DoNotTrace(context);
        var request = context.Request;
        if (!IsMediaType(request.ContentType, ProtobufContentType))
        {
            await RejectAsync(context, signal, StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {ProtobufContentType}");
            return;
        }

        var (withinLimit, body) = await OtlpBody.TryReadAsync(request.Body, Options.MaxRequestBytes, context.RequestAborted);
        if (!withinLimit)
        {
            await RejectAsync(context, signal, StatusCodes.Status413PayloadTooLarge, "request body is larger than the limit");
            return;
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        if (string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            if (!OtlpBody.TryGunzip(body, Options.MaxRequestBytes, out body))
            {
                await RejectAsync(context, signal, StatusCodes.Status400BadRequest, "gzip body is malformed or larger than the limit");
                return;
            }
        }
        else if (encoding.Length > 0 && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            await RejectAsync(context, signal, StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported");
            return;
        }

        if (!TryAccept(signal, body, out var response))
        {
            await RejectAsync(context, signal, StatusCodes.Status400BadRequest, "body is not a valid OTLP export request");
            return;
        }

        var bytes = response.ToByteArray();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ProtobufContentType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    internal async Task HandleGrpcAsync(HttpContext context, OtlpSignal signal)
    {
        DoNotTrace(context);
        var request = context.Request;
        if (!HttpProtocol.IsHttp2(request.Protocol) || request.ContentType?.StartsWith(GrpcContentType, StringComparison.OrdinalIgnoreCase) != true)
        {
            await RejectAsync(context, signal, StatusCodes.Status415UnsupportedMediaType, "gRPC needs HTTP/2 and Content-Type application/grpc");
            return;
        }

        context.Response.ContentType = GrpcContentType;
        var (withinLimit, body) = await OtlpBody.TryReadAsync(request.Body, Options.MaxRequestBytes + GrpcFraming.HeaderLength, context.RequestAborted);
        if (!withinLimit)
        {
            GrpcTrailersOnly(context, signal, GrpcFraming.StatusResourceExhausted, "message is larger than the limit");
            return;
        }

        if (!GrpcFraming.TryReadUnaryMessage(body, request.Headers["grpc-encoding"], Options.MaxRequestBytes, out var message, out var status, out var error))
        {
            GrpcTrailersOnly(context, signal, status, error);
            return;
        }

        if (!TryAccept(signal, message, out var response))
        {
            GrpcTrailersOnly(context, signal, GrpcFraming.StatusInvalidArgument, "message is not a valid OTLP export request");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.Body.WriteAsync(GrpcFraming.Frame(response.ToByteArray()), context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>Parses the request, converts it and stores it; false when it does not parse.</summary>
    private bool TryAccept(OtlpSignal signal, byte[] message, out IMessage response)
    {
        try
        {
            switch (signal)
            {
                case OtlpSignal.Traces:
                    var spans = OtlpConverter.ToSpans(ExportTraceServiceRequest.Parser.ParseFrom(message));
                    Store.Add(spans);
                    response = new ExportTraceServiceResponse();
                    LogAccepted(_logger, signal, spans.Count);
                    return true;
                case OtlpSignal.Metrics:
                    var points = OtlpConverter.ToMetricPoints(ExportMetricsServiceRequest.Parser.ParseFrom(message));
                    Store.Add(points);
                    response = new ExportMetricsServiceResponse();
                    LogAccepted(_logger, signal, points.Count);
                    return true;
                default:
                    var logs = OtlpConverter.ToLogRecords(ExportLogsServiceRequest.Parser.ParseFrom(message));
                    Store.Add(logs);
                    response = new ExportLogsServiceResponse();
                    LogAccepted(_logger, signal, logs.Count);
                    return true;
            }
        }
        catch (InvalidProtocolBufferException)
        {
            response = new ExportTraceServiceResponse();
            return false;
        }
    }

    private Task RejectAsync(HttpContext context, OtlpSignal signal, int statusCode, string reason)
    {
        LogRejected(_logger, signal, statusCode, reason);
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsync(reason, context.RequestAborted);
    }

    /// <summary>
    /// A gRPC error as a trailers-only response: HTTP 200 with <c>grpc-status</c> and
    /// <c>grpc-message</c> in the only header block, no body.
    /// </summary>
    private void GrpcTrailersOnly(HttpContext context, OtlpSignal signal, int status, string message)
    {
        LogRejected(_logger, signal, status, message);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers["grpc-status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    /// <summary>
    /// Drops ASP.NET Core's server activity for this request: any tracer provider in the process
    /// (the AppHost's own, a test's) would otherwise export a span per export it receives.
    /// </summary>
    private static void DoNotTrace(HttpContext context)
    {
        if (context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }

    private static bool IsMediaType(string? contentType, string expected) =>
        contentType is not null
        && contentType.Split(';', 2)[0].Trim().Equals(expected, StringComparison.OrdinalIgnoreCase);

    private static Uri Endpoint(ListenOptions? listener, string protocol)
    {
        if (listener?.IPEndPoint is not { Port: > 0 } endpoint)
        {
            throw new InvalidOperationException($"The OTLP {protocol} listener has no port yet: configure the listeners and start the server first.");
        }

        var host = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : endpoint.Address;
        return new UriBuilder(Uri.UriSchemeHttp, host.ToString(), endpoint.Port).Uri;
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Trace, Message = "OTLP {Signal}: accepted {Count} items")]
    private static partial void LogAccepted(ILogger logger, OtlpSignal signal, int count);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Debug, Message = "OTLP {Signal}: rejected with {Status}: {Reason}")]
    private static partial void LogRejected(ILogger logger, OtlpSignal signal, int status, string reason);
}

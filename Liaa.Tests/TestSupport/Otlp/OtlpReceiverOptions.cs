using System.Net;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>Where the OTLP receiver listens and what it accepts.</summary>
internal sealed class OtlpReceiverOptions
{
    /// <summary>Address both listeners bind to.</summary>
    /// <value>Default 127.0.0.1 (the receiver is for local nodes only).</value>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Port of the HTTP/1.1 listener for <c>http/protobuf</c>; 0 picks a free port.</summary>
    /// <value>Default 0 (the OTLP convention is 4318).</value>
    public int HttpPort { get; set; }

    /// <summary>Port of the HTTP/2-only listener for <c>grpc</c>; 0 picks a free port.</summary>
    /// <value>Default 0 (the OTLP convention is 4317).</value>
    public int GrpcPort { get; set; }

    /// <summary>Largest request accepted, compressed or inflated, in bytes.</summary>
    /// <value>Default 16 MiB.</value>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;
}

using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Builder;
namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// A receiver in a Kestrel server of its own, for tests and for running the receiver without the
/// dashboard: <c>await using var otlp = await OtlpReceiverHost.StartAsync(store)</c>, then point
/// exporters at <see cref="HttpEndpoint"/> or <see cref="GrpcEndpoint"/>.
/// </summary>
internal sealed class OtlpReceiverHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiverHost(WebApplication app, OtlpReceiver receiver)
    {
        _app = app;
        Receiver = receiver;
    }

    public OtlpReceiver Receiver { get; }

    public TelemetryStore Store => Receiver.Store;

    public Uri HttpEndpoint => Receiver.HttpEndpoint;

    public Uri GrpcEndpoint => Receiver.GrpcEndpoint;

    public static async Task<OtlpReceiverHost> StartAsync(
        TelemetryStore store,
        OtlpReceiverOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var receiver = new OtlpReceiver(store, options);
        builder.WebHost.ConfigureKestrel(receiver.ConfigureListeners);
        var app = builder.Build();
        app.MapOtlpReceiver(receiver);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new OtlpReceiverHost(app, receiver);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

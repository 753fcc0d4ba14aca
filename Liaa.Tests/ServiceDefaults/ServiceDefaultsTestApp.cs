using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// A small Kestrel application on 127.0.0.1 (free port) built the way a Liaa node is:
/// <c>AddServiceDefaults</c> + <c>MapDefaultEndpoints</c>, plus <c>GET /v1/values/{key}</c>, which
/// logs and counts, and <c>GET /fail</c>, which throws. Spans that end are also collected in memory.
/// </summary>
internal sealed class ServiceDefaultsTestApp : IAsyncDisposable
{
    public const string ReadyCheckName = "test-ready";

    public const string NotReadyReason = "The test says it is not ready.";

    private ServiceDefaultsTestApp(WebApplication app, SpanCollector spans, Uri baseAddress)
    {
        App = app;
        Spans = spans;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    /// <summary>Spans the host's tracer provider ended (from any source it listens to, in this process).</summary>
    public SpanCollector Spans { get; }

    /// <summary>What the readiness check reports; starts healthy.</summary>
    public bool IsReady { get; set; } = true;

    public static async Task<ServiceDefaultsTestApp> StartAsync(
        IReadOnlyDictionary<string, string?>? configuration = null,
        Action<WebApplicationBuilder>? configure = null,
        CancellationToken cancellationToken = default,
        Liaa.ServiceDefaults.ServiceDefaultsOptions? options = null)
    {
        var spans = new SpanCollector();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.AddServiceDefaults(options ?? new Liaa.ServiceDefaults.ServiceDefaultsOptions());
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(spans));
        configure?.Invoke(builder);

        ServiceDefaultsTestApp? testApp = null;
        builder.Services.AddHealthChecks().AddCheck(
            ReadyCheckName,
            () => testApp?.IsReady != false ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(NotReadyReason));

        var app = builder.Build();
        app.MapDefaultEndpoints();
        var requests = app.Services.GetRequiredService<IMeterFactory>()
            .Create("Liaa.Node")
            .CreateCounter<long>("liaa.test.requests", "{request}", "Requests to the test endpoint.");
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Liaa.Tests.TestApp");
        app.MapGet("/v1/values/{key}", (string key) =>
        {
            requests.Add(1);
            TestAppLog.ValueRequested(logger, key);
            return key;
        });
        app.MapGet("/fail", string () => throw new InvalidOperationException("boom"));

        await app.StartAsync(cancellationToken);
        testApp = new ServiceDefaultsTestApp(app, spans, new Uri(app.Urls.Single()));
        return testApp;
    }

    /// <summary>
    /// Waits for this app's server span for <paramref name="path"/>. The port matters: the
    /// <c>Microsoft.AspNetCore</c> source is process-wide, so the collector also sees the server
    /// spans of other test apps running in parallel.
    /// </summary>
    public Task<Activity> WaitForServerSpanAsync(string path, TimeSpan timeout) =>
        Spans.WaitForAsync(
            s => s.GetTagItem("url.path") as string == path && s.GetTagItem("server.port") is int port && port == BaseAddress.Port,
            timeout);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }

}

/// <summary>Collects ended spans and lets a test await one that matches, bounded by a timeout.</summary>
internal sealed class SpanCollector : BaseProcessor<Activity>
{
    private readonly Lock _gate = new();
    private readonly List<Activity> _spans = [];
    private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Done)> _waiters = [];

    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_gate)
        {
            return [.. _spans];
        }
    }

    public async Task<Activity> WaitForAsync(Func<Activity, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var existing = _spans.FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add((match, done));
        }

        return await done.Task.WaitAsync(timeout, TestContext.Current.CancellationToken);
    }

    public override void OnEnd(Activity data)
    {
        List<TaskCompletionSource<Activity>> completed = [];
        lock (_gate)
        {
            _spans.Add(data);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(data))
                {
                    completed.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var done in completed)
        {
            done.TrySetResult(data);
        }
    }
}

internal static partial class TestAppLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Value {Key} requested")]
    public static partial void ValueRequested(ILogger logger, string key);
}

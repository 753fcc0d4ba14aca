using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using NodeHealthCheck = Liaa.AppHost.NodeHealthCheck;

namespace Liaa.Tests.AppHost;

/// <summary>
/// The AppHost's node health check against a scripted <c>/health</c> (no process, no socket) on a manual
/// clock: it waits for a starting node instead of reporting it unhealthy, and once the node was healthy
/// one failed answer is reported at once.
/// </summary>
public sealed class NodeHealthCheckTests
{
    private static readonly Uri Health = new("http://127.0.0.1:1/health");

    [Fact]
    public async Task Check_WaitsForAStartingNode_AndIsHealthyAsSoonAsItAnswers200()
    {
        var node = new ScriptedHealth(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        var time = new FakeTimeProvider();
        using var http = new HttpClient(node);
        var check = new NodeHealthCheck(http, () => Health, time);

        var result = await DriveAsync(check.CheckHealthAsync(Context(), TestContext.Current.CancellationToken), time);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(3, node.Requests);
    }

    [Fact]
    public async Task Check_IsUnhealthy_NamingTheAnswer_WhenTheNodeIsNotHealthyWithinThePatience()
    {
        var node = new ScriptedHealth(HttpStatusCode.ServiceUnavailable);
        var time = new FakeTimeProvider();
        using var http = new HttpClient(node);
        var check = new NodeHealthCheck(http, () => Health, time);
        var started = time.GetTimestamp();

        var result = await DriveAsync(check.CheckHealthAsync(Context(), TestContext.Current.CancellationToken), time);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("answered 503", result.Description, StringComparison.Ordinal);
        Assert.InRange(time.GetElapsedTime(started), NodeHealthCheck.Patience - NodeHealthCheck.PollInterval, NodeHealthCheck.Patience + NodeHealthCheck.PollInterval);
        Assert.True(node.Requests > 10, $"asked {node.Requests} times");
    }

    [Fact]
    public async Task Check_ReportsANodeThatWasHealthy_FromOneFailedAnswer()
    {
        var node = new ScriptedHealth(HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        var time = new FakeTimeProvider();
        using var http = new HttpClient(node);
        var check = new NodeHealthCheck(http, () => Health, time);

        Assert.Equal(HealthStatus.Healthy, (await DriveAsync(check.CheckHealthAsync(Context(), TestContext.Current.CancellationToken), time)).Status);
        var second = await DriveAsync(check.CheckHealthAsync(Context(), TestContext.Current.CancellationToken), time);

        Assert.Equal(HealthStatus.Unhealthy, second.Status);
        Assert.Equal(2, node.Requests);
    }

    private static HealthCheckContext Context() => new()
    {
        Registration = new HealthCheckRegistration("node-1_http_/health_200_check", _ => throw new InvalidOperationException(), failureStatus: null, tags: null),
    };

    /// <summary>Moves the manual clock in small steps until the check finishes (bounded in real time).</summary>
    private static async Task<HealthCheckResult> DriveAsync(Task<HealthCheckResult> check, FakeTimeProvider time)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!check.IsCompleted)
        {
            bound.Token.ThrowIfCancellationRequested();
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        return await check;
    }

    /// <summary>Answers each request with the next status of the script, the last one from then on.</summary>
    private sealed class ScriptedHealth(params HttpStatusCode[] script) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var index = Interlocked.Increment(ref _requests) - 1;
            return Task.FromResult(new HttpResponseMessage(script[Math.Min(index, script.Length - 1)]));
        }
    }
}

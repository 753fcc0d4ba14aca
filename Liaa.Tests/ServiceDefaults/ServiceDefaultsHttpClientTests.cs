using Liaa.ServiceDefaults;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// <see cref="ServiceDefaultsOptions.InstrumentHttpClient"/>: on by default (Aspire's template), off for a Liaa node,
/// whose only HTTP client is its OTLP exporter.
/// </summary>
public sealed class ServiceDefaultsHttpClientTests
{
    private const string ClientDuration = "# TYPE http_client_request_duration_seconds histogram\n";

    [Fact]
    public async Task ByDefault_OutgoingRequests_AreMeasured()
    {
        var text = await MetricsAfterAnOutgoingRequestAsync(null);

        Assert.Contains(ClientDuration, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutHttpClientInstrumentation_OutgoingRequests_AreNotMeasured_AndTheRestIs()
    {
        var text = await MetricsAfterAnOutgoingRequestAsync(new ServiceDefaultsOptions { InstrumentHttpClient = false });

        Assert.DoesNotContain("http_client_", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("liaa_test_requests_total{otel_scope_name=\"Liaa.Node\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_process_cpu_time_seconds_total counter\n", text, StringComparison.Ordinal);
    }

    /// <summary>Sends one request from this process's HttpClient (to the app itself), then scrapes <c>/metrics</c>.</summary>
    private static async Task<string> MetricsAfterAnOutgoingRequestAsync(ServiceDefaultsOptions? options)
    {
        var token = TestContext.Current.CancellationToken;
        await using var app = await ServiceDefaultsTestApp.StartAsync(cancellationToken: token, options: options);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        (await http.GetAsync("/v1/values/a", token)).Dispose();
        await app.WaitForServerSpanAsync("/v1/values/a", TimeSpan.FromSeconds(10));
        using var response = await http.GetAsync("/metrics", token);
        return await response.Content.ReadAsStringAsync(token);
    }
}

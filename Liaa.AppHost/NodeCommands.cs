using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace Liaa.AppHost;

/// <summary>
/// The Liaa commands on every node in the Aspire dashboard: <b>Put a value</b> and <b>Get a value</b>
/// through this node (asked for with Aspire's interaction dialog, answered with the outcome and a link
/// to the trace the operation made), and <b>Crash</b>, which kills the node's process with SIGKILL as a
/// crash would, beside Aspire's own stop, start and restart.
/// </summary>
/// <remarks>
/// The dialog comes from the command's declared <see cref="CommandOptions.Arguments"/>: the dashboard
/// renders them as an interaction-service inputs dialog, and tests (or the Aspire CLI) pass the same
/// arguments without one. Each put or get sends a sampled W3C <c>traceparent</c> with a fresh trace id,
/// so the node's server span, its lookup and every RPC it makes to other nodes land in that one trace.
/// </remarks>
internal static class NodeCommands
{
    public const string Put = "liaa-put";
    public const string Get = "liaa-get";
    public const string Crash = "liaa-crash";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static IResourceBuilder<T> WithLiaaCommands<T>(this IResourceBuilder<T> node, DashboardLinks links)
        where T : IResourceWithEndpoints
    {
        node.WithCommand(Put, "Put a value", context => PutAsync(node.Resource, links, context), new CommandOptions
        {
            Description = "Store a key and value in the DHT through this node.",
            IconName = "ArrowUpload",
            Arguments = [KeyInput(), new InteractionInput { Name = "value", Label = "Value", InputType = InputType.Text, Required = true, Placeholder = "hello" }],
            UpdateState = WhenRunning,
        });
        node.WithCommand(Get, "Get a value", context => GetAsync(node.Resource, links, context), new CommandOptions
        {
            Description = "Look a key up in the DHT through this node.",
            IconName = "Search",
            Arguments = [KeyInput()],
            UpdateState = WhenRunning,
        });
        node.WithCommand(Crash, "Crash (kill -9)", CrashAsync, new CommandOptions
        {
            Description = "Kill this node's process with SIGKILL, as a crash would: no goodbye to its peers. Start it again with Start.",
            IconName = "Flash",
            ConfirmationMessage = "Kill this node with SIGKILL? Its peers find out only when it stops answering.",
            UpdateState = WhenRunning,
        });
        return node;
    }

    private static InteractionInput KeyInput() => new() { Name = "key", Label = "Key", InputType = InputType.Text, Required = true, Placeholder = "greeting" };

    private static ResourceCommandState WhenRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    private static async Task<ExecuteCommandResult> PutAsync(IResourceWithEndpoints node, DashboardLinks links, ExecuteCommandContext context)
    {
        var key = context.Arguments.GetString("key") ?? string.Empty;
        var value = context.Arguments.GetString("value") ?? string.Empty;
        using var request = new HttpRequestMessage(HttpMethod.Put, ValueUri(node, key))
        {
            Content = new StringContent(value, Encoding.UTF8, new MediaTypeHeaderValue("text/plain")),
        };
        return await SendAsync(request, links, context, (status, body) => status == 200
            ? $"Stored `{key}` through {node.Name} on {StoredOn(body)}"
            : $"{node.Name} refused `{key}` ({status}): {body}").ConfigureAwait(false);
    }

    private static async Task<ExecuteCommandResult> GetAsync(IResourceWithEndpoints node, DashboardLinks links, ExecuteCommandContext context)
    {
        var key = context.Arguments.GetString("key") ?? string.Empty;
        using var request = new HttpRequestMessage(HttpMethod.Get, ValueUri(node, key));
        return await SendAsync(request, links, context, (status, body) => status switch
        {
            200 => $"`{key}` = `{body}` (through {node.Name})",
            404 => $"`{key}` was not found (through {node.Name})",
            _ => $"{node.Name} could not get `{key}` ({status}): {body}",
        }).ConfigureAwait(false);
    }

    /// <summary>"3 of 4 nodes asked" from the node's answer to a put (<c>storedAt</c>, <c>asked</c>), else the answer itself.</summary>
    private static string StoredOn(string body)
    {
        try
        {
            using var answer = System.Text.Json.JsonDocument.Parse(body);
            return $"{answer.RootElement.GetProperty("storedAt").GetInt32()} of {answer.RootElement.GetProperty("asked").GetInt32()} nodes asked";
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body;
        }
    }

    private static Uri ValueUri(IResourceWithEndpoints node, string key) =>
        new(new Uri(node.GetEndpoint("http").Url), "/v1/values/" + Uri.EscapeDataString(key));

    private static async Task<ExecuteCommandResult> SendAsync(HttpRequestMessage request, DashboardLinks links, ExecuteCommandContext context, Func<int, string, string> describe)
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        string outcome;
        bool success;
        try
        {
            using var response = await Http.SendAsync(request, context.CancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(context.CancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            outcome = describe(status, body.Length > 400 ? body[..400] + "…" : body);
            success = status is 200 or 404;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !context.CancellationToken.IsCancellationRequested)
        {
            outcome = $"The node did not answer: {exception.Message}";
            success = false;
        }

        var link = links.Trace(context.Services, traceId) is { } trace ? $"[Open the trace]({trace})" : $"Trace id `{traceId}`";
        var markdown = $"{outcome}\n\n{link} (spans reach the dashboard about a second later).";
        Log.ValueCommand(context.Logger, outcome, traceId);
        return success
            ? CommandResults.Success(outcome, new CommandResultData { Value = markdown, Format = CommandResultFormat.Markdown, DisplayImmediately = true })
            : CommandResults.Failure(outcome, new CommandResultData { Value = markdown, Format = CommandResultFormat.Markdown, DisplayImmediately = true });
    }

    /// <summary>SIGKILL to the node's process and anything it started (a project resource runs under <c>dotnet run</c>).</summary>
    private static Task<ExecuteCommandResult> CrashAsync(ExecuteCommandContext context)
    {
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        var pid = 0;
        if (!notifications.TryGetCurrentState(context.ResourceName, out var current)
            || current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is not { } pidValue
            || !int.TryParse(Convert.ToString(pidValue, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out pid))
        {
            return Task.FromResult(CommandResults.Failure("The node's process id is not known (is it running?)."));
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return Task.FromResult(CommandResults.Failure($"Could not kill pid {pid}: {exception.Message}"));
        }

        Log.Crashed(context.Logger, pid);
        return Task.FromResult(CommandResults.Success($"Killed pid {pid} with SIGKILL."));
    }
}

using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Liaa.Tests.Dashboard.Browser;

/// <summary>
/// A Chrome DevTools protocol connection over one WebSocket: commands with ids, answered by a
/// receive loop that completes each command's task. Sessions (one per page, "flattened") share the
/// socket and are told apart by <c>sessionId</c>. Events are not needed by the tests and are dropped.
/// </summary>
/// <remarks>
/// Every command is bounded by the caller's token; a closed socket fails every pending command at
/// once, so a crashed browser fails the test quickly instead of hanging it.
/// </remarks>
internal sealed class CdpConnection : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    public static async Task<CdpConnection> ConnectAsync(Uri webSocketUrl, CancellationToken cancellationToken)
    {
        var connection = new CdpConnection();
        connection._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await connection._socket.ConnectAsync(webSocketUrl, cancellationToken);
        connection._receiving = connection.ReceiveAsync();
        return connection;
    }

    /// <summary>Sends <paramref name="method"/> and returns its <c>result</c>; throws with the protocol's error message when it fails.</summary>
    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters, string? sessionId, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
        if (sessionId is not null)
        {
            message["sessionId"] = sessionId;
        }

        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
            await _sendLock.WaitAsync(cancellationToken);
            try
            {
                await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                _sendLock.Release();
            }

            var response = await answer.Task.WaitAsync(cancellationToken);
            if (response["error"] is JsonObject error)
            {
                throw new InvalidOperationException($"{method} failed: {error["message"]} {error["data"]}");
            }

            return response["result"] as JsonObject ?? [];
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        if (_socket.State == WebSocketState.Open)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, bound.Token);
            }
            catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
            {
                // The browser may already be gone.
            }
        }

        _socket.Abort();
        await _receiving;
        _socket.Dispose();
        _sendLock.Dispose();
        _closing.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _closing.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var json = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length)) as JsonObject;
                message.SetLength(0);
                if (json?["id"] is JsonValue idValue && idValue.TryGetValue<int>(out var id) && _pending.TryGetValue(id, out var answer))
                {
                    answer.TrySetResult(json);
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or JsonException)
        {
            // Closed or aborted: fail whatever is still waiting (below).
        }

        foreach (var answer in _pending.Values)
        {
            answer.TrySetException(new InvalidOperationException("The DevTools connection closed."));
        }
    }
}

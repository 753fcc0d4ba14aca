using System.Text.Json;
using System.Text.Json.Nodes;

namespace Liaa.Tests.Dashboard.Browser;

/// <summary>
/// One browser tab driven over DevTools: navigate, evaluate JavaScript, wait for a condition in the
/// page, act on elements by CSS selector, take screenshots.
/// </summary>
/// <remarks>
/// Waiting is done by the page itself: <see cref="WaitForAsync"/> evaluates a promise that checks the
/// condition on every animation frame (and at least every 50 ms) and settles when it holds or when
/// its own deadline passes, so the test awaits one bounded signal rather than polling from outside.
/// Actions use the DOM (<c>click()</c>, setting a value and dispatching <c>input</c>/<c>change</c>)
/// exactly as the page's own handlers expect them.
/// </remarks>
internal sealed class CdpPage(CdpConnection connection, string sessionId)
{
    public Task<JsonObject> SendAsync(string method, JsonObject? parameters, CancellationToken cancellationToken) =>
        connection.SendAsync(method, parameters, sessionId, cancellationToken);

    public async Task NavigateAsync(Uri url, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url.AbsoluteUri }, cancellationToken);
        if (result["errorText"] is JsonValue error)
        {
            throw new InvalidOperationException($"Navigating to {url} failed: {error}");
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> (awaiting it when it is a promise) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["awaitPromise"] = true,
            ["returnByValue"] = true,
        }, cancellationToken);
        if (result["exceptionDetails"] is JsonObject exception)
        {
            var description = exception["exception"]?["description"] ?? exception["text"];
            throw new InvalidOperationException($"JavaScript failed: {description}");
        }

        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> (a JavaScript expression) is truthy in the page, and
    /// returns its value; fails naming the condition after <paramref name="timeout"/>.
    /// </summary>
    public async Task<JsonNode?> WaitForAsync(string condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var script = $$"""
            new Promise((resolve, reject) => {
              const deadline = performance.now() + {{(int)timeout.TotalMilliseconds}};
              const check = () => {
                let value;
                try { value = ({{condition}}); } catch (error) { value = undefined; }
                if (value) { resolve(value); return; }
                if (performance.now() > deadline) { reject(new Error('timed out waiting for: ' + {{JsonSerializer.Serialize(condition)}})); return; }
                setTimeout(check, 50);
              };
              check();
            })
            """;
        return await EvaluateAsync(script, cancellationToken);
    }

    /// <summary>Clicks the first element matching <paramref name="selector"/>; fails when there is none or it is disabled.</summary>
    public async Task ClickAsync(string selector, CancellationToken cancellationToken)
    {
        var clicked = await EvaluateAsync($$"""
            (() => {
              const element = document.querySelector({{JsonSerializer.Serialize(selector)}});
              if (!element || element.disabled) return false;
              element.scrollIntoView({ block: 'center' });
              element.click();
              return true;
            })()
            """, cancellationToken);
        if (clicked?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"No enabled element matches {selector}.");
        }
    }

    /// <summary>Sets the value of the input or select matching <paramref name="selector"/> as a user would (input and change events).</summary>
    public async Task FillAsync(string selector, string value, CancellationToken cancellationToken)
    {
        var filled = await EvaluateAsync($$"""
            (() => {
              const element = document.querySelector({{JsonSerializer.Serialize(selector)}});
              if (!element) return false;
              element.value = {{JsonSerializer.Serialize(value)}};
              element.dispatchEvent(new Event('input', { bubbles: true }));
              element.dispatchEvent(new Event('change', { bubbles: true }));
              return element.value === {{JsonSerializer.Serialize(value)}};
            })()
            """, cancellationToken);
        if (filled?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"Could not set {selector} to '{value}'.");
        }
    }

    /// <summary>Writes a PNG of the viewport (or the whole page) to <paramref name="path"/>.</summary>
    public async Task ScreenshotAsync(string path, bool fullPage, CancellationToken cancellationToken)
    {
        var parameters = new JsonObject { ["format"] = "png" };
        if (fullPage)
        {
            var metrics = await SendAsync("Page.getLayoutMetrics", null, cancellationToken);
            var size = metrics["cssContentSize"]!;
            parameters["captureBeyondViewport"] = true;
            parameters["clip"] = new JsonObject
            {
                ["x"] = 0,
                ["y"] = 0,
                ["width"] = size["width"]!.GetValue<double>(),
                ["height"] = Math.Min(size["height"]!.GetValue<double>(), 6000),
                ["scale"] = 1,
            };
        }

        var result = await SendAsync("Page.captureScreenshot", parameters, cancellationToken);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(result["data"]!.GetValue<string>()), cancellationToken);
    }
}

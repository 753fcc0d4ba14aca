using System.Diagnostics;
using System.Text.Json.Nodes;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Dashboard.Browser;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>) in headless mode, driven over the DevTools protocol
/// from C# (no Playwright driver, no browser download). It listens on a DevTools port it picks
/// itself and writes to <c>DevToolsActivePort</c> in its own temporary profile, which is where the
/// port is read from.
/// </summary>
/// <remarks>
/// <see cref="DisposeAsync"/> asks the browser to close, waits a bounded time, then kills the process
/// tree it started (by pid), and deletes the profile. Flags turn off everything that would reach the
/// network (the tests use only 127.0.0.1) or make runs differ (first-run UI, sync, component updates).
/// </remarks>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string DefaultExecutable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly CdpConnection _connection;

    private HeadlessChromium(Process process, string profile, CdpConnection connection)
    {
        _process = process;
        _profile = profile;
        _connection = connection;
    }

    public int ProcessId => _process.Id;

    public static string? FindExecutable() =>
        File.Exists(DefaultExecutable) ? DefaultExecutable
        : Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "chromium")).FirstOrDefault(File.Exists);

    public static async Task<HeadlessChromium> LaunchAsync(string executable, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("liaa-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--password-store=basic",
            $"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");

        // Chromium logs to stderr; drain both pipes so it never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var webSocket = await ReadDevToolsEndpointAsync(profile, process, cancellationToken);
            var connection = await CdpConnection.ConnectAsync(webSocket, cancellationToken);
            return new HeadlessChromium(process, profile, connection);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            TryDelete(profile);
            throw;
        }
    }

    /// <summary>Opens a new tab of <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    public async Task<CdpPage> OpenPageAsync(int width, int height, CancellationToken cancellationToken)
    {
        var target = await _connection.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, null, cancellationToken);
        var attached = await _connection.SendAsync(
            "Target.attachToTarget",
            new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true },
            null,
            cancellationToken);
        var page = new CdpPage(_connection, attached["sessionId"]!.GetValue<string>());
        await page.SendAsync("Page.enable", null, cancellationToken);
        await page.SendAsync("Runtime.enable", null, cancellationToken);
        await page.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject
        {
            ["width"] = width,
            ["height"] = height,
            ["deviceScaleFactor"] = 1,
            ["mobile"] = false,
        }, cancellationToken);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        // Renderer and zygote processes are descendants of the browser; note them while it runs, so
        // any that outlive it can still be ended by pid.
        var descendants = Descendants(_process.Id);
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _connection.SendAsync("Browser.close", null, null, bound.Token);
        }
        catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException)
        {
            // Closing drops the connection before it answers, or the browser is already gone.
        }

        await _connection.DisposeAsync();
        using (var exited = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _process.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(_process);
            }
        }

        Kill(_process);
        foreach (var pid in descendants.Where(ProcessTable.IsAlive))
        {
            try
            {
                using var survivor = Process.GetProcessById(pid);
                if (survivor.ProcessName.Contains("chrom", StringComparison.OrdinalIgnoreCase))
                {
                    survivor.Kill();
                }
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
            {
                // Gone in the meantime.
            }
        }

        _process.Dispose();
        TryDelete(_profile);
    }

    private static async Task<Uri> ReadDevToolsEndpointAsync(string profile, Process process, CancellationToken cancellationToken)
    {
        // The file appears once the DevTools server listens: wait for it (bounded), or for the browser to die.
        var file = Path.Combine(profile, "DevToolsActivePort");
        using var watcher = new FileSystemWatcher(profile, "DevToolsActivePort") { EnableRaisingEvents = true };
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Created += (_, _) => created.TrySetResult();
        watcher.Changed += (_, _) => created.TrySetResult();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (TryRead(file, out var endpoint))
            {
                return endpoint;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"Chromium exited with code {process.ExitCode} before opening DevTools.");
            }

            // Re-checked on each change, and every 200 ms in case the watcher misses the write.
            await Task.WhenAny(created.Task, process.WaitForExitAsync(bound.Token), Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, bound.Token));
            bound.Token.ThrowIfCancellationRequested();
        }
    }

    private static List<int> Descendants(int pid)
    {
        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            foreach (var child in ProcessTable.ChildrenOf(queue.Dequeue()))
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }

        return found;
    }

    private static bool TryRead(string file, out Uri endpoint)
    {
        endpoint = null!;
        try
        {
            var lines = File.ReadAllLines(file);
            if (lines.Length >= 2 && int.TryParse(lines[0], out var port) && port > 0 && lines[1].StartsWith('/'))
            {
                endpoint = new Uri($"ws://127.0.0.1:{port}{lines[1]}");
                return true;
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

using System.Diagnostics;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// Runs a Debian tool the tests rely on (<c>promtool</c>, <c>prometheus</c>) and makes sure it ends:
/// a run is bounded by a timeout, and a started server is killed by its PID when disposed.
/// </summary>
internal sealed class ToolProcess : IDisposable
{
    private readonly Process _process;

    private ToolProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Skips the current test, saying why, when the tool is not installed.</summary>
    public static void SkipUnlessInstalled(string path)
    {
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not installed (Debian package 'prometheus'; ./test.sh installs it).");
        }
    }

    /// <summary>Runs to completion with <paramref name="stdin"/> as input; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(
        string path,
        IEnumerable<string> arguments,
        string stdin,
        TimeSpan timeout)
    {
        using var tool = Start(path, arguments, redirectStandardInput: true);
        var stdout = tool._process.StandardOutput.ReadToEndAsync();
        var stderr = tool._process.StandardError.ReadToEndAsync();
        await tool._process.StandardInput.WriteAsync(stdin);
        tool._process.StandardInput.Close();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        await tool._process.WaitForExitAsync(deadline.Token);
        return (tool._process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running tool; its output is drained and discarded.</summary>
    public static ToolProcess StartServer(string path, IEnumerable<string> arguments)
    {
        var tool = Start(path, arguments, redirectStandardInput: false);
        tool._process.OutputDataReceived += (_, _) => { };
        tool._process.ErrorDataReceived += (_, _) => { };
        tool._process.BeginOutputReadLine();
        tool._process.BeginErrorReadLine();
        return tool;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone between the check and the kill.
        }

        _process.Dispose();
    }

    private static ToolProcess Start(string path, IEnumerable<string> arguments, bool redirectStandardInput)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = redirectStandardInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return new ToolProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}."));
    }
}

using Liaa.Node.Simulation;

namespace Liaa.Tests.ServiceDefaults;

/// <summary>
/// Runs a Debian tool the tests rely on (<c>promtool</c>, <c>ip</c>, <c>mount</c>, <c>systemd-analyze</c>) to its end,
/// bounded by a timeout, through <see cref="ChildProcess"/> (the one process plumbing of tests and bench), and skips a
/// test whose tool is not installed.
/// </summary>
internal static class ToolProcess
{
    /// <summary>Skips the current test, saying why, when the tool is not installed.</summary>
    public static void SkipUnlessInstalled(string path)
    {
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not installed (Debian package 'prometheus'; ./test.sh installs it).");
        }
    }

    /// <summary>Runs to completion with <paramref name="stdin"/> as input; kills it after <paramref name="timeout"/>.</summary>
    public static Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(
        string path,
        IEnumerable<string> arguments,
        string stdin,
        TimeSpan timeout) =>
        ChildProcess.RunAsync(path, arguments, stdin, timeout, TestContext.Current.CancellationToken);
}

using Microsoft.Playwright;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// Debian's Chromium driven by Microsoft.Playwright through <c>ExecutablePath</c>: no browser is ever
/// downloaded. Headless, without sandbox (tests may run as root in a container), and with every
/// background fetch of Chromium's own (updates, sync, QUIC probes) turned off.
/// </summary>
internal static class Chromium
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly string[] Flags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public static bool IsInstalled => File.Exists(Executable);

    public static void SkipUnlessInstalled() =>
        Assert.SkipUnless(IsInstalled, $"{Executable} is not installed (apt-get install chromium; ./test.sh installs it)");

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Executable, Headless = true, Args = Flags, Timeout = 60_000 });

    /// <summary>The repository root (the folder holding Liaa.Aspire.sln), for files the tests write into the repo.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Liaa.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Liaa.Aspire.sln not found above " + AppContext.BaseDirectory);
    }
}

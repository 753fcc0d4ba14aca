using System.Globalization;
using Microsoft.Extensions.Hosting;

namespace Liaa.AppHost;

/// <summary>
/// Stops the AppHost (and so, through DCP, every resource) when the <c>dotnet run</c> that launched it
/// is gone, however it went: <c>kill -9</c> of <c>dotnet run</c> does not reach its child, and DCP only
/// watches the AppHost's own pid. Checked every <see cref="Interval"/> on Linux by whether this process
/// was re-parented (its parent pid in <c>/proc/self/stat</c> changed), which is immune to pid reuse.
/// </summary>
/// <remarks>Does nothing elsewhere, or when the parent is not <c>dotnet</c> (a shell, a test host).</remarks>
internal sealed class LauncherWatch(IHostApplicationLifetime lifetime, TimeProvider timeProvider) : BackgroundService
{
    /// <value>1 second.</value>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux() || ParentPid() is not { } launcher || !IsDotnetRun(launcher))
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (ParentPid() != launcher)
                {
                    await Console.Error.WriteLineAsync($"The 'dotnet run' that started this AppHost (pid {launcher}) is gone: stopping.").ConfigureAwait(false);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping anyway.
        }
    }

    /// <summary>Field 4 of <c>/proc/self/stat</c>, read after the command name (which may hold spaces and parentheses).</summary>
    private static int? ParentPid()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static bool IsDotnetRun(int pid)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return Path.GetFileName(arguments[0]) == "dotnet" && arguments.Contains("run");
        }
        catch (IOException)
        {
            return false;
        }
    }
}

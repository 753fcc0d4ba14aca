using System.Globalization;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// Linux process facts read from <c>/proc</c>, for tests that must prove processes are gone. A
/// zombie counts as gone: it has exited, and whether anyone reaps it (here, the container's pid 1
/// may not) is not what the tests are about.
/// </summary>
internal static class ProcessTable
{
    /// <summary>True when <paramref name="pid"/> is a live (non-zombie) process.</summary>
    public static bool IsAlive(int pid)
    {
        var stat = ReadStat(pid);
        return stat is not null && stat.Value.State is not ('Z' or 'X');
    }

    /// <summary>The parent pid of <paramref name="pid"/>, or null when it is gone.</summary>
    public static int? ParentOf(int pid) => ReadStat(pid)?.ParentPid;

    /// <summary>The live children of <paramref name="parentPid"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int parentPid)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadStat(pid) is { } stat && stat.ParentPid == parentPid && stat.State is not ('Z' or 'X'))
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>The command line of <paramref name="pid"/>, arguments joined by spaces; empty when it is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// Waits until none of <paramref name="pids"/> is alive, checking every 100 ms, for at most
    /// <paramref name="timeout"/>; returns the ones still alive (empty on success).
    /// </summary>
    public static async Task<IReadOnlyList<int>> WaitUntilGoneAsync(IEnumerable<int> pids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var remaining = pids.ToList();
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            remaining = remaining.Where(IsAlive).ToList();
            if (remaining.Count == 0 || TimeProvider.System.GetTimestamp() >= deadline)
            {
                return remaining;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>Kills whichever of <paramref name="pids"/> are still alive (test clean-up).</summary>
    public static void KillAll(IEnumerable<int> pids)
    {
        foreach (var pid in pids.Where(IsAlive))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile.
            }
        }
    }

    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) S ppid ...": comm may contain spaces and parentheses, so parse after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
    }
}

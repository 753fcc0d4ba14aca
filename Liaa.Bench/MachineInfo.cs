using System.Globalization;
using System.Runtime.InteropServices;

namespace Liaa.Node.Bench;

/// <summary>The machine a figure was measured on, and how busy it was: printed with every benchmark.</summary>
internal static class MachineInfo
{
    public static string Describe()
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = ReadFirst("/proc/meminfo", "MemTotal");
        var memoryText = memory is not null && long.TryParse(memory.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture, out var kb)
            ? $"{kb / 1048576.0:F1} GB"
            : "unknown memory";
        return $"machine: {Environment.ProcessorCount} cores ({cpu}), {memoryText}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}; {Load()}";
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), or an empty note elsewhere.</summary>
    public static string Load()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {parts[0]} {parts[1]} {parts[2]} on {Environment.ProcessorCount} cores";
        }
        catch (IOException)
        {
            return "load average unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "load average unknown";
        }
    }

    /// <summary>
    /// Context switches (voluntary and not) of this process's live threads so far (Linux), or -1 elsewhere: the
    /// difference over a window, per round trip, counts thread wake-ups, which load does not change as it does times.
    /// </summary>
    public static long ContextSwitches()
    {
        try
        {
            long total = 0;
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                        }
                    }
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }

            return total;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>
    /// CPU time in seconds (user and system) of the threads named <paramref name="name"/> (as in /proc, at most 15
    /// characters) of process <paramref name="pid"/> (Linux); null when unknown. A thread that ends while they are read is skipped.
    /// </summary>
    public static double? ThreadCpu(int pid, string name) => ThreadCpu($"/proc/{pid}/task", name);

    /// <summary>
    /// <see cref="ThreadCpu(int, string)"/> over a directory of tasks laid out as /proc/PID/task: the threads named
    /// <paramref name="name"/> among its subdirectories' stat files. One that vanished or reads as no stat line is skipped.
    /// </summary>
    internal static double? ThreadCpu(string tasks, string name)
    {
        try
        {
            var ticks = 0L;
            foreach (var stat in ThreadStats(tasks))
            {
                if (ParseThreadStat(stat) is { } thread && thread.Name == name)
                {
                    ticks += thread.CpuTicks;
                }
            }

            // USER_HZ: 100 on Linux.
            return ticks / 100.0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A thread's name and CPU time (user and system, in clock ticks) from its /proc/PID/task/TID/stat line; null when
    /// the line is not one (empty, or cut short: a thread that ended while it was read).
    /// </summary>
    internal static (string Name, long CpuTicks)? ParseThreadStat(string stat)
    {
        // The name is between the first '(' and the last ')'.
        var start = stat.IndexOf('(');
        var end = stat.LastIndexOf(')');
        if (start < 0 || end < start)
        {
            return null;
        }

        // After the name: state, then 10 fields, then utime and stime (proc(5), fields 14 and 15).
        var fields = FieldsAfterName(stat);
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? (stat[(start + 1)..end], user + system)
            : null;
    }

    /// <summary>
    /// The CPUs that this process's threads named <paramref name="name"/> last ran on (Linux, which keeps a thread's
    /// first 15 characters), one per thread; null where that cannot be read.
    /// </summary>
    public static IReadOnlyList<int>? LastCpus(string name)
    {
        var comm = name.Length > 15 ? name[..15] : name;
        try
        {
            var cpus = new List<int>();
            foreach (var stat in ThreadStats("/proc/self/task"))
            {
                if (ParseThreadStat(stat)?.Name == comm && LastCpu(stat) is { } cpu)
                {
                    cpus.Add(cpu);
                }
            }

            return cpus;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Field 39 of a thread's <c>/proc/…/stat</c> line, the CPU it last ran on; null if the line has none.</summary>
    internal static int? LastCpu(string stat)
    {
        var fields = FieldsAfterName(stat);
        return fields.Length > 36 && int.TryParse(fields[36], CultureInfo.InvariantCulture, out var cpu) ? cpu : null;
    }

    // The stat line of each thread in a directory laid out as /proc/PID/task, skipping one that ended between the listing
    // and the read (its directory is gone, or reading it fails with ESRCH). The listing's own failure reaches the caller.
    private static IEnumerable<string> ThreadStats(string tasks)
    {
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            yield return stat;
        }
    }

    // Fields 3 on of a stat line (proc(5)): after the name, field 2, which is in parentheses and may hold spaces and
    // parentheses itself; none when the line has no name or nothing after it.
    private static string[] FieldsAfterName(string stat)
    {
        var end = stat.LastIndexOf(')');
        return end < 0 || end + 2 > stat.Length ? [] : stat[(end + 2)..].Split(' ');
    }

    private static string? ReadFirst(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}

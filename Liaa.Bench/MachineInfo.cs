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

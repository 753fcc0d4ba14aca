using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// Signals by pid. .NET has <see cref="Process.Kill()"/> (SIGKILL on Unix) but no way to send SIGTERM,
/// which is what lets a node's host stop gracefully (flushing telemetry, leaving cleanly).
/// </summary>
internal static class ProcessSignals
{
    private const int Sigterm = 15;
    private const int Sigkill = 9;

    /// <summary>Asks the process to stop (SIGTERM); false when it is already gone or on Windows.</summary>
    public static bool TryTerminate(int pid) => !OperatingSystem.IsWindows() && NativeMethods.kill(pid, Sigterm) == 0;

    /// <summary>Kills the process at once (SIGKILL), even one that is not our child; false when it is already gone.</summary>
    public static bool TryKill(int pid)
    {
        if (!OperatingSystem.IsWindows())
        {
            return NativeMethods.kill(pid, Sigkill) == 0;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            return true;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int signal);
    }
}

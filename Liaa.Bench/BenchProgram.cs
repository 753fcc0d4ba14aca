using System.CommandLine;
using System.Runtime.InteropServices;
using Liaa.Node.Simulation;

namespace Liaa.Node.Bench;

/// <summary>
/// <c>Liaa.Bench</c>: the <c>bench</c> tools as a program of their own (<c>rpc</c>, <c>cluster</c>,
/// <c>sim</c>, <c>memory</c>), kept out of the node binary.
/// </summary>
internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (SimulationProcess.ShouldRelaunch(args))
        {
            return await SimulationProcess.RunChildAsync(args).ConfigureAwait(false);
        }

        // A bench stopped by a signal ends its node processes and runners at once, by PID, before anything else: the
        // command line's own handler cancels the run and gives it 2 s to dispose of them, then the process exits anyway.
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, KillChildren);
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, KillChildren);
        using var onQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, KillChildren);

        // bench sim's child: ends when the bench that started it does, however it ends (SimulationProcess).
        using var parentWatcher = SimulationProcess.WatchParentIfChild();

        return await CreateRoot().Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>The program's command line: <c>rpc</c>, <c>cluster</c>, <c>sim</c> and <c>memory</c>, each with <c>--help</c>.</summary>
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand(BenchCommand.Description);
        foreach (var verb in BenchCommand.CreateVerbs())
        {
            root.Subcommands.Add(verb);
        }

        return root;
    }

    // The signal's usual course is left alone (the command line's handler cancels the run; without one the process ends).
    private static void KillChildren(PosixSignalContext context) => ChildProcess.KillAllByPid();
}

using System.CommandLine;
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
        using var onStop = StopSignals.Register(() => ChildProcess.KillAllByPid());

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
}

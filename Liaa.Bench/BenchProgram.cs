using System.CommandLine;

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

        var bench = BenchCommand.Create();
        var root = new RootCommand(bench.Description ?? "Measure Liaa.");
        foreach (var verb in bench.Subcommands.ToList())
        {
            bench.Subcommands.Remove(verb);
            root.Subcommands.Add(verb);
        }

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}

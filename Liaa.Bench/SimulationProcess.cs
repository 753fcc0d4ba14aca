using System.Diagnostics;
using Liaa.Node.Hosting;

namespace Liaa.Node.Bench;

/// <summary>
/// <c>bench sim</c> runs in a child process of its own with garbage-collector settings of its own, given in its
/// environment (the runtime reads them only at start): the other verbs measure the node code as a node runs it, with
/// the node's settings (Liaa.Bench.csproj), and a simulation of 100,000 nodes is not a node.
/// </summary>
/// <remarks>
/// A simulation allocates gigabytes a minute, nearly all of it short-lived (datagrams, decoded answers, pending calls)
/// on top of a heap of gigabytes that lives to the end (the nodes). With the node's default gen0 budget the workstation
/// GC collected every ~50 MB allocated, 185 times for 10 GB at 20,000 nodes, and paused the process for about 30 % of
/// its wall time; a larger gen0 budget collects less often for the same work (BENCHMARKS.md, bench sim). Set
/// <c>LIAA_BENCH_SIM_GC=none</c> (or any of these variables yourself) to run in the bench's own process as it is.
/// The child never outlives the bench: a SIGTERM, SIGINT or SIGQUIT to the bench kills it by PID, and a bench killed
/// outright closes the pipe that is the child's standard input (<see cref="WatchParentIfChild"/>).
/// </remarks>
internal static class SimulationProcess
{
    /// <summary>Set in the child (and by a caller who wants no child): the simulation runs in this process.</summary>
    public const string Marker = "LIAA_BENCH_SIM_GC";

    private const string ChildMarker = "child";

    /// <summary>The runtime settings the child gets, unless the caller set them.</summary>
    public static readonly IReadOnlyList<(string Name, string Value)> Settings =
    [
        // The smallest gen0 budget: 256 MB between two gen0 collections instead of the cache-sized default.
        ("DOTNET_GCgen0size", "0x10000000"),
    ];

    /// <summary>Whether <paramref name="args"/> is a <c>sim</c> run that should move to a child process.</summary>
    public static bool ShouldRelaunch(IReadOnlyList<string> args) =>
        args.Count > 0
        && args[0] == "sim"
        && Environment.GetEnvironmentVariable(Marker) is null
        && !args.Any(a => a is "-h" or "--help" or "-?")
        && Environment.ProcessPath is not null;

    /// <summary>Runs <paramref name="args"/> in a child with <see cref="Settings"/>, sharing this console; its exit code.</summary>
    public static async Task<int> RunChildAsync(IReadOnlyList<string> args)
    {
        // Standard input a pipe nobody writes to: it closes when this process ends, however it ends.
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            info.ArgumentList.Add(typeof(SimulationProcess).Assembly.Location);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[Marker] = ChildMarker;
        info.Environment[ParentWatcher.ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in Settings)
        {
            if (Environment.GetEnvironmentVariable(name) is null)
            {
                info.Environment[name] = value;
            }
        }

        using var child = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");

        // The signal's usual course (this process ends) is left alone; the child is killed first.
        void KillChild()
        {
            try
            {
                child.Kill();
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited already.
            }
        }

        using var onStop = StopSignals.Register(KillChild);
        await child.WaitForExitAsync().ConfigureAwait(false);
        return child.ExitCode;
    }

    /// <summary>
    /// In the child <see cref="RunChildAsync"/> starts: exits once the bench that started it is gone (its pipe to this
    /// process's standard input closes, or its PID ends; <see cref="ParentWatcher"/>). Null elsewhere.
    /// </summary>
    public static IDisposable? WatchParentIfChild()
    {
        if (Environment.GetEnvironmentVariable(Marker) != ChildMarker
            || !int.TryParse(Environment.GetEnvironmentVariable(ParentWatcher.ParentPidVariable), out var parent)
            || parent <= 0)
        {
            return null;
        }

        var watcher = ParentWatcher.Start(parent, Console.OpenStandardInput(), ParentWatcher.CreateParentProbe(parent), TimeProvider.System);
        _ = watcher.ParentGone.ContinueWith(
            gone =>
            {
                try
                {
                    Console.Error.WriteLine("bench sim: the bench that started this simulation is gone; exiting.");
                }
                catch (IOException)
                {
                    // Nobody is left to read it.
                }

                Environment.Exit(1);
            },
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        return watcher;
    }
}

using Liaa.AppHost.Orchestration;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// Live clusters for tests: the AppHost's own orchestration with test-friendly options (a free seed
/// port, so tests run while a user's cluster holds 8468; no Prometheus; short stop timeout), and the
/// nodes' console output written to the test log when a start fails.
/// </summary>
internal static class TestClusters
{
    /// <summary>Options for a test cluster running the real node (or <paramref name="program"/>).</summary>
    public static LiaaClusterOptions Options(int nodes, NodeProgram? program = null) => new()
    {
        Nodes = nodes,
        SeedPort = 0,
        Program = program,
        StartTimeout = TimeSpan.FromSeconds(150),
        StopTimeout = TimeSpan.FromSeconds(3),
        HealthCheckInterval = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>Starts <paramref name="options"/>; on failure writes every node's console to the test output before rethrowing.</summary>
    public static async Task<LiaaCluster> StartAsync(LiaaClusterOptions options, CancellationToken cancellationToken)
    {
        var cluster = new LiaaCluster(options);
        try
        {
            await cluster.StartAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            WriteConsoles(cluster);
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes the tail of every node's console to the test output (for diagnosing failures).</summary>
    public static void WriteConsoles(LiaaCluster cluster, int lines = 40)
    {
        var output = TestContext.Current.TestOutputHelper;
        if (output is null)
        {
            return;
        }

        foreach (var node in cluster.Nodes)
        {
            output.WriteLine($"--- {node.Name} ({node.State}, pid {node.ProcessId}, exit {node.ExitCode})");
            foreach (var line in node.ConsoleLog.Tail(lines))
            {
                output.WriteLine($"{line.Stream,-7} {line.Text}");
            }
        }
    }
}

namespace Liaa.AppHost.Orchestration.Prometheus;

/// <summary>The Prometheus server a <see cref="LiaaCluster"/> starts next to its nodes.</summary>
public sealed class PrometheusOptions
{
    /// <summary>The program to run: a path, or a name looked up on PATH.</summary>
    /// <value>Default <c>prometheus</c>.</value>
    public string Executable { get; set; } = "prometheus";

    /// <summary>Where Prometheus serves its UI and API.</summary>
    /// <value>Default <c>127.0.0.1:9090</c>.</value>
    public string ListenAddress { get; set; } = "127.0.0.1:9090";

    /// <summary>How often each node's <c>/metrics</c> is scraped.</summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan ScrapeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long Prometheus may take to answer <c>/-/ready</c>; past it the cluster runs without it.</summary>
    /// <value>Default 20 seconds.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The full path of <paramref name="executable"/> (as is when it has a directory), or null when it is not on PATH.</summary>
    public static string? FindExecutable(string executable = "prometheus")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        if (executable.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || executable.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(executable) ? Path.GetFullPath(executable) : null;
        }

        var names = OperatingSystem.IsWindows() ? new[] { executable + ".exe", executable } : [executable];
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Executable))
        {
            problems.Add("Prometheus.Executable must be set.");
        }

        if (!System.Net.IPEndPoint.TryParse(ListenAddress, out var endpoint) || endpoint.Port == 0)
        {
            problems.Add($"Prometheus.ListenAddress must be an address and a non-zero port such as 127.0.0.1:9090 (was {ListenAddress}).");
        }

        if (ScrapeInterval < TimeSpan.FromSeconds(1) || StartTimeout <= TimeSpan.Zero)
        {
            problems.Add("Prometheus.ScrapeInterval must be at least 1 second and StartTimeout positive.");
        }

        return problems;
    }
}

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// How a node process is launched: <see cref="FileName"/> with <see cref="Arguments"/> first, then the
/// node's own <c>serve --port … --seed … --http … --name …</c>. Normally <c>dotnet Liaa.Node.dll</c>;
/// tests may substitute any program that honours the same command line and HTTP contract.
/// </summary>
public sealed record NodeProgram(string FileName, IReadOnlyList<string> Arguments, string? WorkingDirectory = null)
{
    /// <summary>The environment variable that points at <c>Liaa.Node.dll</c> (or its directory).</summary>
    public const string NodePathVariable = "LIAA_NODE_PATH";

    private const string NodeAssembly = "Liaa.Node.dll";

    /// <summary>
    /// Finds <c>Liaa.Node.dll</c>: <paramref name="nodePath"/> when given, else <c>LIAA_NODE_PATH</c>,
    /// else next to the AppHost's own assembly (its ProjectReference copies the node's build output
    /// there, with its <c>runtimeconfig.json</c>), else the application base directory. An explicit path
    /// that holds no node fails rather than silently falling back to another build.
    /// </summary>
    /// <exception cref="FileNotFoundException">No runnable node was found; the message says where it looked.</exception>
    public static NodeProgram Resolve(string? nodePath = null, Func<string, string?>? getEnvironmentVariable = null)
    {
        getEnvironmentVariable ??= System.Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(nodePath))
        {
            return FromPath(nodePath, "the configured node path");
        }

        var fromEnvironment = getEnvironmentVariable(NodePathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return FromPath(fromEnvironment, NodePathVariable);
        }

        var searched = new List<string>();
        foreach (var directory in new[] { Path.GetDirectoryName(typeof(NodeProgram).Assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(directory))
            {
                continue;
            }

            var candidate = Path.Combine(directory, NodeAssembly);
            searched.Add(candidate);
            if (IsRunnableAssembly(candidate))
            {
                return FromAssembly(candidate);
            }
        }

        throw new FileNotFoundException(
            $"Liaa.Node was not found (looked for {string.Join(" and ", searched)} with its runtimeconfig.json). " +
            $"Build the solution, or set {NodePathVariable} to Liaa.Node.dll.");
    }

    /// <summary>Runs <paramref name="assemblyPath"/> with the same <c>dotnet</c> host that runs this process.</summary>
    public static NodeProgram FromAssembly(string assemblyPath)
    {
        var fullPath = Path.GetFullPath(assemblyPath);
        return new NodeProgram(FindDotnetHost(), [fullPath], Path.GetDirectoryName(fullPath));
    }

    /// <summary>
    /// The <c>dotnet</c> executable: this process when it is <c>dotnet</c>, else <c>DOTNET_HOST_PATH</c>
    /// (set by the SDK under <c>dotnet run/test</c>), else the install that holds the running runtime,
    /// else <c>dotnet</c> on PATH.
    /// </summary>
    public static string FindDotnetHost()
    {
        var executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var processPath = System.Environment.ProcessPath;
        if (processPath is not null && string.Equals(Path.GetFileName(processPath), executable, StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        var hostPath = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (runtimeDirectory is not null)
        {
            var root = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
            var candidate = Path.Combine(root, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return executable;
    }

    public override string ToString() => string.Join(' ', [FileName, .. Arguments]);

    private static NodeProgram FromPath(string path, string source)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            fullPath = Path.Combine(fullPath, NodeAssembly);
        }

        if (fullPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            if (!IsRunnableAssembly(fullPath))
            {
                throw new FileNotFoundException(
                    $"{source} points at {fullPath}, which does not exist or has no runtimeconfig.json next to it.", fullPath);
            }

            return FromAssembly(fullPath);
        }

        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"{source} points at {fullPath}, which does not exist.", fullPath);
        }

        // A native apphost (Liaa.Node, Liaa.Node.exe) runs on its own.
        return new NodeProgram(fullPath, [], Path.GetDirectoryName(fullPath));
    }

    private static bool IsRunnableAssembly(string assemblyPath) =>
        File.Exists(assemblyPath) && File.Exists(Path.ChangeExtension(assemblyPath, ".runtimeconfig.json"));
}

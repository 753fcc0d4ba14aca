// One source file compiled into two programs: the AppHost (`--node-build aot|composite`) and Liaa.Bench (`bench cluster
// --node-build aot|composite`), linked by their project files. Each gets it in its own namespace, so that Liaa.Tests, which
// sees the internals of both, does not see one type name twice. It runs the publish through CommandRunner
// (build/CommandRunner.cs: Liaa.Simulation's copy in the bench, the AppHost's own copy there).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

#if LIAA_BENCH
using Liaa.Node.Simulation;

namespace Liaa.Node.Bench;
#else
namespace Liaa.AppHost;
#endif

/// <summary>Which build of Liaa.Node a cluster runs.</summary>
internal enum NodeBuild
{
    /// <summary>Liaa.Node's ordinary build output (framework-dependent, ReadyToRun): needs only the .NET SDK.</summary>
    Jit,

    /// <summary>Liaa.Node compiled ahead of time (Native AOT) by <see cref="NativeAotNode"/>: needs a C toolchain.</summary>
    Aot,

    /// <summary>
    /// Liaa.Node and the .NET runtime and ASP.NET Core it runs on, trimmed and precompiled together into one composite
    /// ReadyToRun image, self-contained, by <see cref="NativeAotNode"/>: needs only the .NET SDK (crossgen2 and the
    /// runtime packs come from NuGet). Still JIT-compiled where the image has no code, with tiered compilation as usual.
    /// </summary>
    Composite,
}

/// <summary>Thrown when the published node (Native AOT or composite) cannot be had; <see cref="Exception.Message"/> says what to do, in a few lines.</summary>
internal sealed class NodeBuildException(string message) : Exception(message);

/// <summary>
/// Liaa.Node published on demand for clusters that start many nodes on few cores: compiled ahead of time
/// (<see cref="NodeBuild.Aot"/>) into <c>artifacts/aot/</c> of the repository, a node process that starts on ~0.05–0.15 s of
/// CPU and ~31–40 MB instead of the JIT build's ~0.33 s and ~71 MB (BENCHMARKS.md); or, on a machine without a C toolchain, as
/// a self-contained composite ReadyToRun build (<see cref="NodeBuild.Composite"/>) into <c>artifacts/composite/</c>, ~0.19 s
/// and ~57 MB: the framework's own code precompiled together with the node's, generic instantiations across assemblies
/// included, which the JIT build's per-assembly images cannot hold.
/// </summary>
/// <remarks>
/// <para><see cref="EnsureBuiltAsync"/> publishes only when the node's inputs changed since the last publish: it
/// hashes the sources of Liaa.Node and of the projects it references (everything but <c>bin/</c> and <c>obj/</c>),
/// the repository's MSBuild files and the publish command, and compares with the hash written beside the
/// executable after the last successful publish. An unchanged node costs well under a second of hashing (~130 small files), no
/// MSBuild; a changed one runs <c>dotnet publish</c>, whose own incremental build compiles only what changed.</para>
/// <para>The publish has its own <c>obj/</c> and <c>bin/</c> under <c>artifacts/aot/build/</c> (the SDK's artifacts
/// layout), so its restore, which adds the ILCompiler packages, never rewrites the ordinary build's
/// <c>obj/project.assets.json</c>, and the ordinary build stays as it was.</para>
/// <para>Native AOT links with the platform's C toolchain (clang or gcc, binutils, the C library's headers), which
/// a machine with only the .NET SDK lacks: <see cref="FindMissingTools"/> says so in one line before MSBuild runs,
/// instead of the ILCompiler's errors. zlib needs no package: .NET 10's Native AOT runtime pack carries its own
/// <c>libz.a</c>. The composite build needs none of it. Nothing here is done by default: a cluster runs the JIT build
/// unless asked.</para>
/// </remarks>
internal sealed class NativeAotNode
{
    /// <summary>The one line telling a Debian or Ubuntu user what to install.</summary>
    public const string InstallHint = "sudo apt-get install clang";

    private static readonly string[] RepositoryBuildFiles =
        ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config"];

    private readonly Func<string?> _findMissingTools;

    /// <param name="nodeProject">Full path of <c>Liaa.Node.csproj</c>; the repository is its folder's parent.</param>
    /// <param name="findMissingTools">What is missing to compile (default: <see cref="FindMissingTools"/> on this machine's PATH;
    /// only the Native AOT build looks).</param>
    /// <param name="build">Which build: <see cref="NodeBuild.Aot"/> or <see cref="NodeBuild.Composite"/>.</param>
    public NativeAotNode(string nodeProject, Func<string?>? findMissingTools = null, NodeBuild build = NodeBuild.Aot)
    {
        if (build == NodeBuild.Jit)
        {
            throw new ArgumentOutOfRangeException(nameof(build), build, "The JIT build is the project's own build output: nothing to publish.");
        }

        Build = build;
        _findMissingTools = build == NodeBuild.Aot
            ? findMissingTools ?? (() => FindMissingTools(Environment.GetEnvironmentVariable("PATH"), File.Exists))
            : () => null;
        NodeProject = Path.GetFullPath(nodeProject);
        RepositoryRoot = Path.GetDirectoryName(Path.GetDirectoryName(NodeProject))!;
        RuntimeIdentifier = RuntimeInformation.RuntimeIdentifier;
        ArtifactsDirectory = Path.Combine(RepositoryRoot, "artifacts", build == NodeBuild.Aot ? "aot" : "composite");
        PublishDirectory = Path.Combine(ArtifactsDirectory, RuntimeIdentifier);
        ExecutablePath = Path.Combine(PublishDirectory, OperatingSystem.IsWindows() ? "Liaa.Node.exe" : "Liaa.Node");
    }

    public NodeBuild Build { get; }

    public string NodeProject { get; }

    public string RepositoryRoot { get; }

    /// <summary>The platform compiled for: this machine's (<c>linux-x64</c> here).</summary>
    public string RuntimeIdentifier { get; }

    /// <summary><c>artifacts/aot/</c> (or <c>artifacts/composite/</c>): the publish output per runtime identifier, the publish's own build folders, the lock.</summary>
    public string ArtifactsDirectory { get; }

    public string PublishDirectory { get; }

    /// <summary>The node executable, <c>artifacts/aot/&lt;rid&gt;/Liaa.Node</c> (or <c>artifacts/composite/…</c>); it exists once <see cref="EnsureBuiltAsync"/> succeeded.</summary>
    public string ExecutablePath { get; }

    /// <summary>Beside the executable: the hash of the inputs it was published from.</summary>
    public string StampPath => Path.Combine(PublishDirectory, "Liaa.Node.inputs");

    /// <summary>
    /// The publish command's arguments (after <c>dotnet</c>). The composite build is trimmed, as the Native AOT build is
    /// (the node builds with the trim and AOT analyzers, so it is trim-safe): the image then holds only what the node
    /// uses (a 57 MB folder).
    /// </summary>
    public IReadOnlyList<string> PublishArguments =>
    [
        "publish", NodeProject,
        "-c", "Release",
        "-r", RuntimeIdentifier,
        .. Build == NodeBuild.Aot
            ? (string[])["-p:PublishAot=true"]
            : ["--self-contained", "-p:PublishTrimmed=true", "-p:PublishReadyToRun=true", "-p:PublishReadyToRunComposite=true"],
        "-p:UseArtifactsOutput=true",
        $"-p:ArtifactsPath={Path.Combine(ArtifactsDirectory, "build")}",
        "-o", PublishDirectory,

        // Leaves no MSBuild node or compiler server running after the publish: an AppHost stopped by Ctrl+C or
        // kill -9 leaves no process behind, this one's included.
        "-nodeReuse:false",
        "-p:UseSharedCompilation=false",
        "-nologo",
        "-clp:ErrorsOnly;NoSummary",
    ];

    /// <summary>How the progress lines name the build.</summary>
    private string Label => Build == NodeBuild.Aot ? "Native AOT node" : "Composite ReadyToRun node";

    /// <summary>Whether the executable was published from the inputs as they are now.</summary>
    public bool IsUpToDate() =>
        File.Exists(ExecutablePath) && File.Exists(StampPath) && File.ReadAllText(StampPath).Trim() == HashInputs();

    /// <summary>
    /// A SHA-256 over every input of the publish: the publish command, each file of Liaa.Node and of the projects
    /// it references (transitively, from their <c>ProjectReference</c> items; not <c>bin/</c>, <c>obj/</c> or hidden
    /// folders), the repository's MSBuild and SDK files and <c>build/*.props|targets</c>, each by path and content.
    /// </summary>
    public string HashInputs()
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var project in ProjectClosure(NodeProject))
        {
            foreach (var file in SourceFiles(Path.GetDirectoryName(project)!))
            {
                files.Add(file);
            }
        }

        foreach (var name in RepositoryBuildFiles)
        {
            var path = Path.Combine(RepositoryRoot, name);
            if (File.Exists(path))
            {
                files.Add(path);
            }
        }

        var buildFolder = Path.Combine(RepositoryRoot, "build");
        if (Directory.Exists(buildFolder))
        {
            foreach (var file in Directory.EnumerateFiles(buildFolder).Where(f => f.EndsWith(".props", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal)))
            {
                files.Add(file);
            }
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join('\n', PublishArguments) + "\n" + RuntimeInformation.FrameworkDescription + "\n"));
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(RepositoryRoot, file).Replace('\\', '/') + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Publishes the node unless it is up to date, and returns <see cref="ExecutablePath"/>. One publish at a time per
    /// repository (a lock file; a second caller waits, then finds the node up to date).
    /// </summary>
    /// <param name="log">Where a line or two of progress go (the publish's own output only on failure).</param>
    /// <param name="cancellationToken">Stops the wait, and a publish under way (its process tree is killed).</param>
    /// <exception cref="NodeBuildException">A tool is missing, or the publish failed: the message says which, and what to do.</exception>
    public async Task<string> EnsureBuiltAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var shown = Path.GetRelativePath(RepositoryRoot, ExecutablePath);
        var checking = TimeProvider.System.GetTimestamp();
        if (IsUpToDate())
        {
            await log.WriteLineAsync($"{Label}: {shown} (up to date, checked in {TimeProvider.System.GetElapsedTime(checking).TotalMilliseconds:0} ms)").ConfigureAwait(false);
            return ExecutablePath;
        }

        if (_findMissingTools() is { } missing)
        {
            throw new NodeBuildException(missing);
        }

        Directory.CreateDirectory(ArtifactsDirectory);
        using var gate = await LockAsync(log, cancellationToken).ConfigureAwait(false);
        var inputs = HashInputs();
        if (File.Exists(ExecutablePath) && File.Exists(StampPath) && (await File.ReadAllTextAsync(StampPath, cancellationToken).ConfigureAwait(false)).Trim() == inputs)
        {
            await log.WriteLineAsync($"{Label}: {shown} (built meanwhile by another process)").ConfigureAwait(false);
            return ExecutablePath;
        }

        await log.WriteLineAsync($"{Label}: compiling Liaa.Node into {shown} (a first build takes {(Build == NodeBuild.Aot ? "1.5-5" : "2-4")} minutes on 2 cores; again only when the node's sources change)...").ConfigureAwait(false);
        var started = TimeProvider.System.GetTimestamp();
        Directory.CreateDirectory(PublishDirectory);
        File.Delete(StampPath);
        var (exitCode, standardOutput, standardError) = await CommandRunner.RunAsync(PublishStartInfo(DotnetHost()), string.Empty, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0 || !File.Exists(ExecutablePath))
        {
            var output = (standardOutput + "\n" + standardError).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var errors = output.Where(line => line.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal).Take(15).ToList();
            if (errors.Count == 0)
            {
                errors = output.TakeLast(15).ToList();
            }

            throw new NodeBuildException(
                $"{Label}: dotnet publish failed (exit code {exitCode}):\n  " + string.Join("\n  ", errors)
                + $"\nThe command: dotnet {string.Join(' ', PublishArguments)}");
        }

        await File.WriteAllTextAsync(StampPath, inputs + "\n", cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"{Label}: compiled in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0} s").ConfigureAwait(false);
        return ExecutablePath;
    }

    /// <summary>
    /// What a Native AOT publish needs from the machine and does not find, as one line naming the package to
    /// install; null when nothing is missing or the platform is not Linux (elsewhere the publish's own errors speak).
    /// </summary>
    /// <param name="pathVariable">The <c>PATH</c> searched for the tools.</param>
    /// <param name="fileExists">How a file is looked for (a test gives its own).</param>
    /// <param name="isLinux">Whether the checks apply (default: this machine's).</param>
    public static string? FindMissingTools(string? pathVariable, Func<string, bool> fileExists, bool? isLinux = null)
    {
        if (!(isLinux ?? OperatingSystem.IsLinux()))
        {
            return null;
        }

        var path = (pathVariable ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        bool OnPath(string tool) => path.Any(folder => fileExists(Path.Combine(folder, tool)));

        // The ILCompiler's targets link with clang, else gcc; they strip symbols with llvm-objcopy or objcopy; the link
        // needs the C library's start files. Debian's clang package brings all three (it depends on binutils and libc6-dev).
        var missing = new List<string>();
        if (!OnPath("clang") && !OnPath("gcc"))
        {
            missing.Add("a C compiler and linker (clang or gcc on PATH)");
        }

        if (!OnPath("objcopy") && !OnPath("llvm-objcopy"))
        {
            missing.Add("objcopy (binutils)");
        }

        string[] libraryFolders = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/arm-linux-gnueabihf", "/usr/lib64", "/usr/lib"];
        if (!libraryFolders.Any(folder => fileExists(Path.Combine(folder, "crt1.o"))))
        {
            missing.Add("the C library's development files (libc6-dev)");
        }

        return missing.Count == 0
            ? null
            : $"error: Native AOT nodes are linked by the system's C toolchain, and this machine lacks {string.Join(", ", missing)}. "
              + $"On Debian or Ubuntu: {InstallHint}. Or run --node-build composite (no C toolchain needed), or the default JIT build (leave out --node-build aot).";
    }

    /// <summary>The project and every project it references, transitively (from their <c>ProjectReference</c> items).</summary>
    internal static IReadOnlyList<string> ProjectClosure(string project)
    {
        var seen = new List<string>();
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (seen.Contains(next, StringComparer.Ordinal) || !File.Exists(next))
            {
                continue;
            }

            seen.Add(next);
            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
            {
                if (reference.Attribute("Include")?.Value is { Length: > 0 } include)
                {
                    pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include.Replace('\\', Path.DirectorySeparatorChar))));
                }
            }
        }

        return seen;
    }

    private static IEnumerable<string> SourceFiles(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            yield return file;
        }

        foreach (var child in Directory.EnumerateDirectories(folder))
        {
            var name = Path.GetFileName(child);
            if (name is "bin" or "obj" || name.StartsWith('.'))
            {
                continue;
            }

            foreach (var file in SourceFiles(child))
            {
                yield return file;
            }
        }
    }

    /// <summary>The <c>dotnet</c> that runs this process (its runtime lives in that installation), else <c>DOTNET_HOST_PATH</c>, else PATH's.</summary>
    private static string DotnetHost()
    {
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } process && Path.GetFileName(process) == name)
        {
            return process;
        }

        // The shared framework is <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        if (File.Exists(Path.Combine(root, name)))
        {
            return Path.Combine(root, name);
        }

        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(hostPath) && File.Exists(hostPath) ? hostPath : "dotnet";
    }

    /// <summary>
    /// The publish command, run in the repository. A process started by <c>dotnet run</c>, <c>dotnet test</c> or an IDE
    /// carries the MSBuild of its parent's SDK in three variables that the .NET CLI sets for the MSBuild it runs (and its
    /// children inherit): <c>MSBuildExtensionsPath</c>, <c>MSBuildSDKsPath</c> and <c>MSBUILD_EXE_PATH</c>. MSBuild honours
    /// them when set (<c>MSBuildSDKsPath</c> and <c>MSBUILD_EXE_PATH</c> ahead of its own location), so the publish would
    /// build with the parent's SDK instead of the one global.json names: they are dropped, by name. Any other MSBuild
    /// setting in the environment (<c>MSBUILDDISABLENODEREUSE</c>, <c>MSBUILDDEBUGPATH</c>, ...) is the user's and stays.
    /// </summary>
    private ProcessStartInfo PublishStartInfo(string dotnet)
    {
        var start = new ProcessStartInfo(dotnet) { WorkingDirectory = RepositoryRoot };
        foreach (var argument in PublishArguments)
        {
            start.ArgumentList.Add(argument);
        }

        string[] parentsMsBuild = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH"];
        foreach (var name in start.Environment.Keys.Where(key => parentsMsBuild.Contains(key, StringComparer.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        return start;
    }

    private async Task<FileStream> LockAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(ArtifactsDirectory, "publish.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!told)
                {
                    told = true;
                    await log.WriteLineAsync($"{Label}: another process is compiling it; waiting for it to finish...").ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

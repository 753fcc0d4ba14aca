using TempDirectory = Liaa.Tests.TestSupport.TempDirectory;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Liaa.AppHost;
using Liaa.Node.Hosting;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using BenchCommand = Liaa.Node.Bench.BenchCommand;
using BenchNativeAotNode = Liaa.Node.Bench.NativeAotNode;
using ProcessCluster = Liaa.Node.Bench.ProcessCluster;

namespace Liaa.Tests.AppHost;

/// <summary>
/// <c>--node-build aot</c> (the AppHost) and <c>bench cluster --node-build aot</c>: the setting reaches the app model,
/// the Native AOT node is published only when its inputs changed, and a machine without a C toolchain is told what to
/// install in one line. Nothing here compiles ahead of time (minutes on two cores): the publish itself is tried by
/// <c>tools/apphost-startup.sh</c> and by hand (README, "Running a cluster").
/// </summary>
public sealed class NodeBuildTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(new string[0], "Jit")]
    [InlineData(new[] { "--node-build", "aot" }, "Aot")]
    [InlineData(new[] { "--node-build", "JIT" }, "Jit")]
    [InlineData(new[] { "--Liaa:AppHost:NodeBuild=Aot" }, "Aot")]
    [InlineData(new[] { "--node-build", "composite" }, "Composite")]
    public void Settings_ReadTheNodeBuild_FromTheSwitchOrTheConfiguration(string[] args, string expected)
    {
        var settings = ClusterSettings.Read(Configuration(args), out var problems);

        Assert.Empty(problems);
        Assert.Equal(expected, settings.NodeBuild.ToString());
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--process-monitors", "true" }, true)]
    public void Settings_LeaveDcpsProcessMonitorsOff_UnlessAsked(string[] args, bool expected)
    {
        var settings = ClusterSettings.Read(Configuration(args), out var problems);

        Assert.Empty(problems);
        Assert.Equal(expected, settings.ProcessMonitors);
    }

    [Theory]
    [InlineData(new[] { "--node-build", "native" }, "'native' is not jit, aot or composite")]
    [InlineData(new[] { "--node-build", "aot", "--projects", "true" }, "choose one")]
    [InlineData(new[] { "--node-build", "composite", "--projects", "true" }, "composite runs the nodes from their published executable")]
    public void Settings_NameTheProblem_OfAnUnknownOrConflictingNodeBuild(string[] args, string expected)
    {
        ClusterSettings.Read(Configuration(args), out var problems);

        Assert.Contains(problems, p => p.StartsWith("Liaa:AppHost:NodeBuild: ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("aot")]
    [InlineData("composite")]
    [InlineData("jit")]
    public void TheAppModel_RunsEveryNode_FromTheExecutableOfTheNodeBuild(string build)
    {
        var expected = build != "jit"
            ? Path.Combine(Path.GetDirectoryName(new Projects.Liaa_Node().ProjectPath)!, "..", "artifacts", build, System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "Liaa.Node")
            : LiaaNodes.NodeBinary();
        var port = FreePorts.UdpRun(3);
        var settings = ClusterSettings.Read(Configuration(["--nodes", "3", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--node-build", build]), out var problems);
        Assert.Empty(problems);

        // The nodes of the model the AppHost builds, on a builder of our own: not through the AppHost's Program, whose
        // start publishes the AOT node (a testing builder of the AppHost reached that start once it was disposed, and
        // left a five-minute `dotnet publish` running after the test run ended).
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = [], DisableDashboard = true });
        var nodes = builder.AddLiaaNodes(settings, _ => { }).OfType<ExecutableResource>().ToList();

        Assert.Equal(["node-0", "node-1", "node-2"], nodes.Select(n => n.Name).Order(StringComparer.Ordinal));
        Assert.All(nodes, node =>
        {
            Assert.Equal(Path.GetFullPath(expected), Path.GetFullPath(node.Command));
            Assert.Equal(Path.GetDirectoryName(Path.GetFullPath(expected)), Path.GetFullPath(node.WorkingDirectory));
        });
    }

    [Fact]
    public async Task TheAppHost_StartsDcpWithoutProcessMonitors_ByDefault()
    {
        string[] args =
        [
            "--nodes", "2", "--port", FreePorts.UdpRun(2).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--prometheus", "false",
            $"--ASPNETCORE_URLS=http://127.0.0.1:{FreePorts.Tcp()}",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Tcp()}",
            $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{FreePorts.Tcp()}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
        ];

        Assert.SkipWhen(OperatingSystem.IsWindows(), "DCP runs without a wrapper script on Windows");
        Assert.SkipUnless(Environment.GetEnvironmentVariable("DCP_DISABLE_MONITOR_PROCESS") is null, "DCP_DISABLE_MONITOR_PROCESS is set for this test run");

        // The model only (the JIT build: nothing to publish); nothing is started.
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Liaa_AppHost>(args, Token);
        Assert.Equal(2, builder.Resources.OfType<ExecutableResource>().Count(r => r.Name.StartsWith("node-", StringComparison.Ordinal)));

        // Set for DCP alone, by the script Aspire starts as DCP (DcpCertificate): the test process's own environment,
        // which every other AppHost built in it would hand its DCP, is untouched.
        Assert.Null(Environment.GetEnvironmentVariable("DCP_DISABLE_MONITOR_PROCESS"));

        // What DCP gets: the script run as it is, but with `env` in place of the real DCP, in an environment without the
        // variable, prints DCP's environment: no `dcp monitor-process` beside every process (--process-monitors true keeps them).
        var script = await File.ReadAllTextAsync(builder.Configuration["DcpPublisher:CliPath"]!, Token);
        var dcp = typeof(LiaaNodes).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => string.Equals(a.Key, "DcpCliPath", StringComparison.OrdinalIgnoreCase)).Value!;
        Assert.Contains($"'{dcp}'", script, StringComparison.Ordinal);
        using var directory = new TempDirectory();
        var asEnv = Path.Combine(directory.Path, "dcp");
        await File.WriteAllTextAsync(asEnv, script.Replace($"'{dcp}'", "'/usr/bin/env'", StringComparison.Ordinal), Token);
        var (exitCode, environment, _) = await Liaa.Node.Simulation.ChildProcess.RunAsync(
            "/bin/sh", [asEnv], string.Empty, TimeSpan.FromSeconds(30), Token, new Dictionary<string, string?> { ["DCP_DISABLE_MONITOR_PROCESS"] = null });
        Assert.Equal(0, exitCode);
        Assert.Contains("DCP_DISABLE_MONITOR_PROCESS=1", environment.Split('\n'));
    }

    [Fact]
    public void TheBenchAndTheAppHost_PublishTheSameProject_IntoTheSamePlace()
    {
        var appHost = LiaaNodes.NativeAot();
        var bench = new BenchNativeAotNode(ProcessCluster.NodeProject());

        Assert.Equal(appHost.NodeProject, bench.NodeProject);
        Assert.Equal(appHost.ExecutablePath, bench.ExecutablePath);
        Assert.Equal(Path.Combine(appHost.RepositoryRoot, "artifacts", "aot"), appHost.ArtifactsDirectory);
        Assert.Equal("Liaa.Node.csproj", Path.GetFileName(appHost.NodeProject));
        Assert.True(File.Exists(appHost.NodeProject));
    }

    [Fact]
    public void TheCompositeBuild_IsPublishedApart_SelfContainedAndPrecompiledTogether()
    {
        var aot = LiaaNodes.Published(NodeBuild.Aot);
        var composite = LiaaNodes.Published(NodeBuild.Composite);
        var bench = new BenchNativeAotNode(ProcessCluster.NodeProject(), build: Liaa.Node.Bench.NodeBuild.Composite);

        Assert.Equal(Path.Combine(composite.RepositoryRoot, "artifacts", "composite"), composite.ArtifactsDirectory);
        Assert.Equal(composite.ExecutablePath, bench.ExecutablePath);
        Assert.NotEqual(aot.ExecutablePath, composite.ExecutablePath);
        Assert.Contains("-p:PublishAot=true", aot.PublishArguments);
        Assert.DoesNotContain("-p:PublishAot=true", composite.PublishArguments);
        Assert.Contains("--self-contained", composite.PublishArguments);
        Assert.Contains("-p:PublishTrimmed=true", composite.PublishArguments);
        Assert.Contains("-p:PublishReadyToRun=true", composite.PublishArguments);
        Assert.Contains("-p:PublishReadyToRunComposite=true", composite.PublishArguments);
        Assert.Contains($"-p:ArtifactsPath={Path.Combine(composite.ArtifactsDirectory, "build")}", composite.PublishArguments);
        Assert.Throws<ArgumentOutOfRangeException>(() => LiaaNodes.Published(NodeBuild.Jit));
    }

    [Fact]
    public async Task AnUpToDateCompositeNode_IsNotPublishedAgain_AndItsStampIsNotTheAotBuilds()
    {
        using var repo = new TempDirectory();
        var node = FakeRepository(repo.Path);
        var aot = new NativeAotNode(node);
        var composite = PublishedUpToDate(new NativeAotNode(node, NoToolchainLookup, NodeBuild.Composite), "a composite node");
        var log = new StringWriter();

        var path = await composite.EnsureBuiltAsync(log, Token);

        Assert.Equal(composite.ExecutablePath, path);
        Assert.StartsWith("Composite ReadyToRun node: ", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("(up to date, checked in ", log.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(aot.HashInputs(), composite.HashInputs());
        Assert.False(aot.IsUpToDate());
    }

    [Fact]
    public void MissingTools_AreNamedInOneLine_WithTheAptGetCommand()
    {
        var missing = NativeAotNode.FindMissingTools("/opt/none:/usr/local/bin", _ => false, isLinux: true);

        Assert.NotNull(missing);
        Assert.DoesNotContain('\n', missing);
        Assert.Contains("clang or gcc", missing, StringComparison.Ordinal);
        Assert.Contains("objcopy", missing, StringComparison.Ordinal);
        Assert.Contains("libc6-dev", missing, StringComparison.Ordinal);
        Assert.Contains("sudo apt-get install clang", missing, StringComparison.Ordinal);
        Assert.Contains("--node-build aot", missing, StringComparison.Ordinal);
        Assert.Contains("--node-build composite", missing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/tools/clang", "/tools/llvm-objcopy")]
    [InlineData("/tools/gcc", "/tools/objcopy")]
    public void NothingIsMissing_WithClangOrGcc_ObjcopyAndTheCLibrary(string compiler, string objcopy)
    {
        string[] present = [compiler, objcopy, "/usr/lib/x86_64-linux-gnu/crt1.o"];

        Assert.Null(NativeAotNode.FindMissingTools("/bin:/tools", present.Contains, isLinux: true));
        Assert.Contains("clang or gcc", NativeAotNode.FindMissingTools("/bin", present.Contains, isLinux: true), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingTools_AreNotGuessed_OffLinux()
    {
        Assert.Null(NativeAotNode.FindMissingTools(string.Empty, _ => false, isLinux: false));
    }

    [Fact]
    public void TheInputsHash_ChangesWithASourceOfTheNodeOrOfAReferencedProject_AndNotWithBuildOutput()
    {
        using var repo = new TempDirectory();
        var node = FakeRepository(repo.Path);
        var aot = new NativeAotNode(node);
        var first = aot.HashInputs();

        Assert.Equal(first, aot.HashInputs());

        File.WriteAllText(Path.Combine(repo.Path, "Lib", "bin", "Lib.dll"), "rebuilt");
        File.WriteAllText(Path.Combine(repo.Path, "Node", "obj", "project.assets.json"), "{ \"restored\": 2 }");
        Assert.Equal(first, aot.HashInputs());

        File.AppendAllText(Path.Combine(repo.Path, "Lib", "Lib.cs"), "// changed\n");
        var second = aot.HashInputs();
        Assert.NotEqual(first, second);

        File.AppendAllText(Path.Combine(repo.Path, "Directory.Packages.props"), "<!-- a package version -->\n");
        var third = aot.HashInputs();
        Assert.NotEqual(second, third);

        File.WriteAllText(Path.Combine(repo.Path, "Unrelated.cs"), "class Unrelated { }");
        Directory.CreateDirectory(aot.PublishDirectory);
        File.WriteAllText(aot.ExecutablePath, "the published node is no input of its own");
        Assert.Equal(third, aot.HashInputs());
    }

    [Fact]
    public void ProjectClosure_FollowsProjectReferences_Transitively()
    {
        using var repo = new TempDirectory();
        var node = FakeRepository(repo.Path);

        var closure = NativeAotNode.ProjectClosure(node);

        Assert.Equal([node, Path.Combine(repo.Path, "Lib", "Lib.csproj"), Path.Combine(repo.Path, "Deep", "Deep.csproj")], closure);
    }

    [Fact]
    public async Task AnUpToDateNode_IsNotPublishedAgain_AndNeedsNoToolchain()
    {
        using var repo = new TempDirectory();
        var aot = PublishedUpToDate(new NativeAotNode(FakeRepository(repo.Path), NoToolchainLookup), "a compiled node");
        var log = new StringWriter();

        var path = await aot.EnsureBuiltAsync(log, Token);

        Assert.Equal(aot.ExecutablePath, path);
        Assert.True(aot.IsUpToDate());
        Assert.Contains("(up to date, checked in ", log.ToString(), StringComparison.Ordinal);
        Assert.Equal("a compiled node", File.ReadAllText(aot.ExecutablePath));
    }

    [Fact]
    public async Task AStaleNode_OnAMachineWithoutTheToolchain_FailsWithTheOneLine_BeforeAnyPublish()
    {
        using var repo = new TempDirectory();
        var line = NativeAotNode.FindMissingTools("/none", _ => false, isLinux: true);
        var aot = new NativeAotNode(FakeRepository(repo.Path), () => line);
        Directory.CreateDirectory(aot.PublishDirectory);
        File.WriteAllText(aot.ExecutablePath, "a node compiled from older sources");
        File.WriteAllText(aot.StampPath, "0000\n");

        var error = await Assert.ThrowsAsync<NodeBuildException>(() => aot.EnsureBuiltAsync(new StringWriter(), Token));

        Assert.Equal(line, error.Message);
        Assert.False(aot.IsUpToDate());
        Assert.False(File.Exists(Path.Combine(aot.ArtifactsDirectory, "publish.lock")), "no publish was started");
    }

    [Fact]
    public async Task BenchCluster_TakesOneNodeBuild_AndKeepsTheJitBuildByDefault()
    {
        var conflict = await Assert.ThrowsAsync<CommandLineException>(() => BenchCommand.NodeExecutableAsync("/bin/true", "aot", liaaRuns: true, Token));
        Assert.Contains("--node-build aot", conflict.Message, StringComparison.Ordinal);

        Assert.Null(await BenchCommand.NodeExecutableAsync(null, "jit", liaaRuns: true, Token));
        Assert.Null(await BenchCommand.NodeExecutableAsync(null, "aot", liaaRuns: false, Token));
        Assert.Null(await BenchCommand.NodeExecutableAsync(null, "composite", liaaRuns: false, Token));
        var compositeConflict = await Assert.ThrowsAsync<CommandLineException>(() => BenchCommand.NodeExecutableAsync("/bin/true", "composite", liaaRuns: true, Token));
        Assert.Contains("--node-build composite", compositeConflict.Message, StringComparison.Ordinal);
        Assert.Equal("/bin/true", await BenchCommand.NodeExecutableAsync("/bin/true", "jit", liaaRuns: true, Token));
    }

    private static IConfiguration Configuration(string[] args) =>
        new ConfigurationBuilder().AddCommandLine(args, ClusterSettings.SwitchMappings).Build();

    /// <summary>A toolchain lookup for a node that must not need one: it fails the test.</summary>
    private static string? NoToolchainLookup() => throw new InvalidOperationException("the toolchain was looked for");

    /// <summary><paramref name="node"/> as if published from its current inputs: its executable holding <paramref name="executable"/>, its stamp their hash.</summary>
    private static NativeAotNode PublishedUpToDate(NativeAotNode node, string executable)
    {
        Directory.CreateDirectory(node.PublishDirectory);
        File.WriteAllText(node.ExecutablePath, executable);
        File.WriteAllText(node.StampPath, node.HashInputs() + "\n");
        return node;
    }

    /// <summary>A repository of three projects (Node → Lib → Deep), with build output that must not count as input.</summary>
    private static string FakeRepository(string root)
    {
        static void Write(string path, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        Write(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");
        Write(Path.Combine(root, "Node", "Node.csproj"), "<Project><ItemGroup><ProjectReference Include=\"..\\Lib\\Lib.csproj\" /></ItemGroup></Project>");
        Write(Path.Combine(root, "Node", "Program.cs"), "class Program { }\n");
        Write(Path.Combine(root, "Node", "obj", "project.assets.json"), "{}");
        Write(Path.Combine(root, "Lib", "Lib.csproj"), "<Project><ItemGroup><ProjectReference Include=\"../Deep/Deep.csproj\" /></ItemGroup></Project>");
        Write(Path.Combine(root, "Lib", "Lib.cs"), "class Lib { }\n");
        Write(Path.Combine(root, "Lib", "bin", "Lib.dll"), "built");
        Write(Path.Combine(root, "Deep", "Deep.csproj"), "<Project />");
        return Path.Combine(root, "Node", "Node.csproj");
    }
}

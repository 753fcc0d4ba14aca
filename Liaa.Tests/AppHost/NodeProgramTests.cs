using Liaa.AppHost.Orchestration;

namespace Liaa.Tests.AppHost;

public sealed class NodeProgramTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void Resolve_FindsTheNodeBuildNextToTheAppHost_AndRunsItWithDotnet()
    {
        var program = NodeProgram.Resolve(getEnvironmentVariable: NoEnvironment);

        var expected = Path.Combine(Path.GetDirectoryName(typeof(LiaaCluster).Assembly.Location)!, "Liaa.Node.dll");
        Assert.Equal([expected], program.Arguments);
        Assert.Equal(Path.GetDirectoryName(expected), program.WorkingDirectory);
        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(program.FileName));
        Assert.True(File.Exists(program.FileName), program.FileName);
    }

    [Fact]
    public void Resolve_UsesLiaaNodePath_WhenItNamesTheDirectory()
    {
        var directory = Path.GetDirectoryName(typeof(LiaaCluster).Assembly.Location)!;

        var program = NodeProgram.Resolve(getEnvironmentVariable: name => name == NodeProgram.NodePathVariable ? directory : null);

        Assert.Equal([Path.Combine(directory, "Liaa.Node.dll")], program.Arguments);
    }

    [Fact]
    public void Resolve_RunsANativeExecutableDirectly()
    {
        var program = NodeProgram.Resolve("/bin/sh", NoEnvironment);

        Assert.Equal("/bin/sh", program.FileName);
        Assert.Empty(program.Arguments);
    }

    [Fact]
    public void Resolve_PrefersTheExplicitPath_OverTheEnvironment()
    {
        var program = NodeProgram.Resolve("/bin/sh", _ => "/nonexistent/Liaa.Node.dll");

        Assert.Equal("/bin/sh", program.FileName);
    }

    [Fact]
    public void Resolve_Fails_WhenLiaaNodePathHoldsNoNode()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"liaa-missing-{Guid.NewGuid():N}", "Liaa.Node.dll");

        var failure = Assert.Throws<FileNotFoundException>(() => NodeProgram.Resolve(getEnvironmentVariable: _ => missing));

        Assert.Contains(NodeProgram.NodePathVariable, failure.Message, StringComparison.Ordinal);
        Assert.Contains(missing, failure.Message, StringComparison.Ordinal);
    }
}

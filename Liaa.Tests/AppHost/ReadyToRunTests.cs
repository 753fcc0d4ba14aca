using System.Reflection.PortableExecutable;
using Liaa.AppHost;
using Liaa.Node.Bench;

namespace Liaa.Tests.AppHost;

/// <summary>
/// The node binary that clusters start many times is ReadyToRun-compiled at build time
/// (<c>build/ReadyToRun.targets</c>): every managed assembly of Liaa.Node's output folder, the folder the
/// AppHost runs and <c>bench cluster</c> starts, carries precompiled code, so a node process does not
/// JIT-compile its start-up path. Built with <c>-p:LiaaReadyToRun=false</c>, these fail on purpose.
/// </summary>
public sealed class ReadyToRunTests
{
    [Fact]
    public void EveryAssemblyOfTheNodeTheAppHostStarts_IsReadyToRunCompiled()
    {
        var folder = Path.GetDirectoryName(LiaaNodes.NodeBinary())!;
        var managed = Directory.GetFiles(folder, "*.dll").Where(IsManaged).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Contains("Liaa.Node.dll", managed);
        Assert.Contains("OpenTelemetry.dll", managed);
        Assert.DoesNotContain(managed, name => !IsReadyToRun(Path.Combine(folder, name!)));
    }

    [Fact]
    public void BenchCluster_StartsTheSameNodeBuild_AsTheAppHost()
    {
        var benchNode = ProcessCluster.NodeAssembly();

        Assert.Equal(Path.GetDirectoryName(LiaaNodes.NodeBinary()), Path.GetDirectoryName(benchNode));
        Assert.True(IsReadyToRun(benchNode));
    }

    private static bool IsManaged(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return pe.PEHeaders.CorHeader is not null;
    }

    /// <summary>A ReadyToRun image is an IL assembly whose CLI header points at a ReadyToRun header (the managed native header).</summary>
    private static bool IsReadyToRun(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}

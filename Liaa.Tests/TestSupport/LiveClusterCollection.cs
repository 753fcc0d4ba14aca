namespace Liaa.Tests.TestSupport;

/// <summary>
/// The tests that start clusters of real node processes run one at a time, after the parallel part
/// of the suite: on a 2-core machine dozens of .NET processes starting together only slow each
/// other down, and the 30-node start-up time reported by the tests is then the cluster's own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveClusterCollection
{
    public const string Name = "Live cluster";
}

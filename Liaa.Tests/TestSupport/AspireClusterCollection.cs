namespace Liaa.Tests.TestSupport;

/// <summary>
/// The test classes that share one <see cref="AspireCluster"/>: five nodes, the dashboard, the explorer
/// and Prometheus, started once. They run one after another (a test that crashes a node starts it
/// again before it ends), after the parallel part of the suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AspireClusterCollection : ICollectionFixture<AspireCluster>
{
    public const string Name = "Aspire cluster";
}

namespace Liaa.Tests.TestSupport;

/// <summary>
/// The tests that start an AppHost of their own (the churn cluster, the AppHost as a process) run one
/// at a time, after the parallel part of the suite: on a 2-core machine dozens of .NET processes
/// starting together only slow each other down.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveClusterCollection
{
    public const string Name = "Live cluster";
}

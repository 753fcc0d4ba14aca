namespace Liaa.Tests.TestSupport;

/// <summary>
/// Tests that count what a meter or activity listener of the process receives run alone: a <c>NodeMetrics</c> made
/// without an <c>IMeterFactory</c> (an embedded node, most unit tests) creates a process-wide
/// <c>Liaa.Node</c> meter that every listener sees, so tests running beside them would add to the counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetersCollection
{
    public const string Name = "Process-wide meters";
}

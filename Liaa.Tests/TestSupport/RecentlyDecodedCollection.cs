namespace Liaa.Tests.TestSupport;

/// <summary>
/// Tests that check which instance a decode gives run alone: the decoder's tables of recent contacts and PINGs
/// (<c>RecentlyDecoded</c>) are shared by the process, and a test decoding beside them could take the same slot between
/// two of their decodes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RecentlyDecodedCollection
{
    public const string Name = "Process-wide decode tables";
}

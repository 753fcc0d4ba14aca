namespace Liaa.Node.Api;

/// <summary>
/// What the HTTP API needs from whatever runs the node: the running <see cref="LiaaNode"/>. The API
/// asks for this, not for the host, so it does not reach into Hosting (the host implements it).
/// </summary>
internal interface IRunningNode
{
    /// <summary>The running node; throws before it started.</summary>
    LiaaNode Node { get; }
}

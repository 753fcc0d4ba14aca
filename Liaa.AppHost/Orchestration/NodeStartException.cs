namespace Liaa.AppHost.Orchestration;

/// <summary>A node did not become healthy: it exited first, could not be launched, or was stopped while starting.</summary>
public sealed class NodeStartException : Exception
{
    public NodeStartException()
    {
        NodeName = string.Empty;
    }

    public NodeStartException(string message)
        : base(message)
    {
        NodeName = string.Empty;
    }

    public NodeStartException(string message, Exception innerException)
        : base(message, innerException)
    {
        NodeName = string.Empty;
    }

    public NodeStartException(string nodeName, string message, int? exitCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        NodeName = nodeName;
        ExitCode = exitCode;
    }

    /// <summary>The node that failed.</summary>
    public string NodeName { get; }

    /// <summary>The exit code, when the process exited.</summary>
    public int? ExitCode { get; }
}

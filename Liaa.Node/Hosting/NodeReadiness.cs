using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Liaa.Node.Hosting;

/// <summary>
/// Whether a serving node can do its job, as <c>/health</c> reports it: unhealthy, naming every reason,
/// while its socket is not bound or no longer receives, while its value log cannot be written (puts
/// answer 503), before any seed has answered (naming a seed whose DNS name does not resolve), or when the seeds answered but it knows no peer.
/// </summary>
/// <remarks>
/// A node started without seeds is the first of a new network: an empty routing table is normal for it.
/// Liveness (<c>/alive</c>) is not affected: the process answers, and restarting it fixes none of these.
/// </remarks>
internal static class NodeReadiness
{
    /// <param name="node">The node, null before its socket is bound.</param>
    /// <param name="seeds">Seeds other than the node itself; by default the address seeds of its options but its own endpoint.</param>
    /// <param name="seedProblem">Why a named seed gave no address at the last join attempt, if one did not.</param>
    public static HealthCheckResult Check(LiaaNode? node, int? seeds = null, string? seedProblem = null)
    {
        if (node is null)
        {
            return HealthCheckResult.Unhealthy("The UDP socket is not bound yet.");
        }

        var others = seeds ?? node.Options.Seeds.Count(s => !s.Equals(node.EndPoint));
        return Check(new Facts(node.IsReceiving, node.StorageFailure, node.Options.DataDirectory, others, node.IsJoined, node.GetContacts().Count, seedProblem));
    }

    public static HealthCheckResult Check(Facts facts)
    {
        List<string> problems = [];
        if (!facts.IsReceiving)
        {
            problems.Add("The UDP socket is closed: no datagram reaches the node.");
        }

        if (facts.StorageFailure is { } failure)
        {
            problems.Add($"The value log in {facts.DataDirectory} cannot be written ({failure.Message}); puts are refused until the node restarts on a working disk.");
        }

        if (facts.Seeds > 0 && !facts.IsJoined)
        {
            problems.Add($"Not joined: none of the {facts.Seeds} seeds has answered yet.");
            if (facts.SeedProblem is { } seedProblem)
            {
                problems.Add(seedProblem);
            }
        }
        else if (facts.Seeds > 0 && facts.Contacts == 0)
        {
            problems.Add("No peer: the routing table is empty although a seed answered.");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"Joined; {facts.Contacts} contacts.")
            : HealthCheckResult.Unhealthy(string.Join(" ", problems));
    }

    /// <summary>What readiness is decided from.</summary>
    /// <param name="IsReceiving">The receive loop runs on an open socket.</param>
    /// <param name="StorageFailure">The value log's write error, if it failed.</param>
    /// <param name="DataDirectory">Where the value log is, for the message.</param>
    /// <param name="Seeds">Seeds configured (other than the node itself).</param>
    /// <param name="IsJoined">A seed or remembered contact has answered (or there was none to try).</param>
    /// <param name="Contacts">Contacts in the routing table now.</param>
    /// <param name="SeedProblem">Why a seed given by name gave no address at the last join attempt, if one did not.</param>
    internal readonly record struct Facts(bool IsReceiving, IOException? StorageFailure, string? DataDirectory, int Seeds, bool IsJoined, int Contacts, string? SeedProblem = null);
}

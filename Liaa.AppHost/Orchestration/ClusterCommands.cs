using System.Globalization;
using System.Text;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// The commands the AppHost accepts on its console while the cluster runs (until the dashboard
/// offers buttons): <c>status</c>, <c>add [count]</c>, <c>remove|stop|start|restart|kill &lt;node&gt;</c>,
/// <c>logs &lt;node&gt; [lines]</c>, <c>help</c>. Node names may be given as <c>node-3</c> or <c>3</c>.
/// Each command returns the text to print; failures are reported in that text, never thrown.
/// </summary>
internal sealed class ClusterCommands(LiaaCluster cluster)
{
    public const string Help =
        """
        Commands: status | add [count] | stop <node> | start <node> | restart <node> | kill <node>
                  remove <node> | logs <node> [lines] | help      (a node is node-3 or just 3)
        """;

    public async Task<string> ExecuteAsync(string commandLine, CancellationToken cancellationToken)
    {
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return string.Empty;
        }

        try
        {
            return words[0].ToLowerInvariant() switch
            {
                "status" or "ls" => Status(),
                "add" => await AddAsync(words.Length > 1 ? Count(words[1]) : 1, cancellationToken).ConfigureAwait(false),
                "stop" => await OnNodeAsync(words, "stopped", cluster.StopNodeAsync, cancellationToken).ConfigureAwait(false),
                "start" => await OnNodeAsync(words, "started", async (n, ct) => await cluster.StartNodeAsync(n, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false),
                "restart" => await OnNodeAsync(words, "restarted", async (n, ct) => await cluster.RestartNodeAsync(n, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false),
                "kill" => await OnNodeAsync(words, "killed", cluster.KillNodeAsync, cancellationToken).ConfigureAwait(false),
                "remove" or "rm" => await OnNodeAsync(words, "removed", cluster.RemoveNodeAsync, cancellationToken).ConfigureAwait(false),
                "logs" => Logs(words),
                "help" or "?" => Help,
                _ => $"Unknown command '{words[0]}'.{Environment.NewLine}{Help}",
            };
        }
        catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException or NodeStartException or TimeoutException or FormatException)
        {
            return exception.Message;
        }
    }

    private string Status()
    {
        var text = new StringBuilder();
        foreach (var node in cluster.Nodes)
        {
            text.AppendLine(ClusterConsole.Describe(node.Snapshot));
        }

        return text.ToString().TrimEnd();
    }

    private async Task<string> AddAsync(int count, CancellationToken cancellationToken)
    {
        var added = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => cluster.AddNodeAsync(cancellationToken))).ConfigureAwait(false);
        return string.Join(Environment.NewLine, added.Select(n => ClusterConsole.Describe(n.Snapshot)));
    }

    private async Task<string> OnNodeAsync(string[] words, string done, Func<string, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        var name = NodeName(words);
        await action(name, cancellationToken).ConfigureAwait(false);
        return cluster.TryGetNode(name, out var node) ? ClusterConsole.Describe(node!.Snapshot) : $"{name} {done}.";
    }

    private string Logs(string[] words)
    {
        var node = cluster[NodeName(words)];
        var lines = words.Length > 2 ? Count(words[2]) : 20;
        return string.Join(Environment.NewLine, node.ConsoleLog.Tail(lines).Select(l => $"{l.Timestamp.ToLocalTime():HH:mm:ss} {l.Text}"));
    }

    private static string NodeName(string[] words)
    {
        if (words.Length < 2)
        {
            throw new FormatException($"'{words[0]}' needs a node, e.g. {words[0]} node-1.");
        }

        return int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? $"node-{index}" : words[1];
    }

    private static int Count(string word) =>
        int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is > 0 and <= 100
            ? count
            : throw new FormatException($"'{word}' is not a count from 1 to 100.");
}

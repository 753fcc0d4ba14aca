using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// What the AppHost prints: progress while nodes start, the table of nodes and endpoints once the
/// cluster is ready, then every later state change (a crash with its last lines of output).
/// </summary>
/// <remarks>
/// On a terminal it uses Spectre.Console (a live table during start-up, colours). When output is
/// redirected (a pipe, a file, a test) it degrades to one plain line per event, stable enough to be
/// read by scripts: <c>node-1 Healthy pid=123 udp=127.0.0.1:40001 http=http://127.0.0.1:40002 id=…</c>
/// and <c>Liaa cluster ready: N nodes healthy in S s.</c>
/// </remarks>
internal sealed class ClusterConsole
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);
    private const int CrashTailLines = 10;

    private readonly bool _rich;
    private readonly TimeProvider _timeProvider;
    private readonly TextWriter _plain;
    private readonly Lock _gate = new();

    public ClusterConsole(bool rich, TimeProvider timeProvider, TextWriter? plainOutput = null)
    {
        _rich = rich;
        _timeProvider = timeProvider;
        _plain = plainOutput ?? Console.Out;
    }

    /// <summary>Rich output on an interactive terminal, plain lines otherwise.</summary>
    public static ClusterConsole ForCurrentTerminal(TimeProvider timeProvider) =>
        new(!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive, timeProvider);

    public void Starting(LiaaCluster cluster)
    {
        var seedPort = cluster.Options.SeedPort == 0 ? "a free port" : cluster.Options.SeedPort.ToString(CultureInfo.InvariantCulture);
        Line(
            $"Liaa AppHost: starting {cluster.Options.Nodes} node(s) from {cluster.Program}; seed on UDP {seedPort}.",
            $"[bold]Liaa AppHost[/]: starting [bold]{cluster.Options.Nodes}[/] node(s); seed on UDP [bold]{seedPort}[/]. [grey]({Markup.Escape(cluster.Program.ToString())})[/]");
    }

    /// <summary>Starts <paramref name="cluster"/>, showing progress until every node is healthy (or the start fails).</summary>
    public async Task StartAsync(LiaaCluster cluster, CancellationToken cancellationToken)
    {
        if (!_rich)
        {
            cluster.NodeChanged += PrintStartupChange;
            try
            {
                await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                cluster.NodeChanged -= PrintStartupChange;
            }

            return;
        }

        var start = cluster.StartAsync(cancellationToken);
        await AnsiConsole.Live(Table(cluster.Nodes))
            .AutoClear(true)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                while (!start.IsCompleted)
                {
                    context.UpdateTarget(Table(cluster.Nodes));
                    context.Refresh();
                    await Task.WhenAny(start, Task.Delay(RefreshInterval, _timeProvider)).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        await start.ConfigureAwait(false);
    }

    /// <summary>The cluster table and how to use it; <paramref name="services"/> (telemetry, dashboard) replace the dashboard placeholder line.</summary>
    public void Ready(LiaaCluster cluster, TimeSpan elapsed, AppHostOptions options, IReadOnlyList<string>? services = null)
    {
        var nodes = cluster.Nodes;
        var seconds = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var seed = cluster.SeedEndpoint?.ToString() ?? "?";
        var put = $"dotnet run --project Liaa.Node -- put hello world --seed {seed}";
        var prometheus = cluster.PrometheusUrl is { } url
            ? $"Prometheus: {url} (targets: {cluster.PrometheusTargetsPath})"
            : cluster.Options.Prometheus is null ? "Prometheus: off" : "Prometheus: not started (see the warning above)";
        var lines = services ?? [$"Dashboard: port {options.DashboardPort} is reserved for it (issue 6)."];
        lock (_gate)
        {
            if (_rich)
            {
                AnsiConsole.Write(Table(nodes));
                AnsiConsole.MarkupLine($"[green]Liaa cluster ready[/]: {nodes.Count} nodes healthy in {seconds} s.");
                AnsiConsole.MarkupLine($"Seed: [bold]{seed}[/]   try: [grey]{Markup.Escape(put)}[/]");
                AnsiConsole.MarkupLine(Markup.Escape(prometheus));
                foreach (var line in lines)
                {
                    AnsiConsole.MarkupLine(Markup.Escape(line));
                }

                AnsiConsole.MarkupLine("Press [bold]Ctrl+C[/] to stop (twice to kill).");
                return;
            }

            _plain.WriteLine($"Liaa cluster ready: {nodes.Count} nodes healthy in {seconds} s.");
            _plain.WriteLine($"{"NAME",-8} {"STATE",-9} {"PID",-7} {"UDP",-21} {"HTTP",-28} NODE ID");
            foreach (var node in nodes.Select(n => n.Snapshot))
            {
                _plain.WriteLine($"{node.Name,-8} {node.State,-9} {node.ProcessId,-7} {node.UdpEndpoint,-21} {node.HttpEndpoint?.ToString().TrimEnd('/'),-28} {node.NodeId}");
            }

            _plain.WriteLine($"Seed: {seed}   try: {put}");
            _plain.WriteLine(prometheus);
            foreach (var line in lines)
            {
                _plain.WriteLine(line);
            }

            _plain.WriteLine("Press Ctrl+C to stop (twice to kill).");
            _plain.Flush();
        }
    }

    /// <summary>Prints a state change of a running cluster; a crash comes with the node's last lines.</summary>
    public void OnNodeChanged(object? sender, NodeChangedEventArgs change)
    {
        if (!change.StateChanged)
        {
            return;
        }

        var now = _timeProvider.GetLocalNow().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var current = change.Current;
        var tail = current.State == NodeState.Crashed ? change.Node.ConsoleLog.Tail(CrashTailLines) : [];
        lock (_gate)
        {
            if (_rich)
            {
                var details = Describe(current)[(current.Name.Length + current.State.ToString().Length + 1)..];
                AnsiConsole.MarkupLine($"[grey]{now}[/] {current.Name} [{Colour(current.State)}]{current.State}[/]{Markup.Escape(details)}");
                foreach (var line in tail)
                {
                    AnsiConsole.MarkupLine($"[grey]    {Markup.Escape(line.Text)}[/]");
                }

                return;
            }

            _plain.WriteLine($"{now} {Describe(current)}");
            foreach (var line in tail)
            {
                _plain.WriteLine($"    {line.Text}");
            }

            _plain.Flush();
        }
    }

    public void Info(string message) => Line(message, Markup.Escape(message));

    public void Error(string message)
    {
        lock (_gate)
        {
            if (_rich)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(message)}[/]");
            }
            else
            {
                Console.Error.WriteLine(message);
            }
        }
    }

    /// <summary>One line for a node's state: what the plain output prints and the rich output colours.</summary>
    public static string Describe(NodeSnapshot node) => node.State switch
    {
        NodeState.Starting => $"{node.Name} Starting pid={node.ProcessId} udp={node.UdpEndpoint}",
        NodeState.Healthy => $"{node.Name} Healthy pid={node.ProcessId} udp={node.UdpEndpoint} http={node.HttpEndpoint?.ToString().TrimEnd('/')} id={node.NodeId}",
        NodeState.Stopped or NodeState.Crashed => $"{node.Name} {node.State} pid={node.ProcessId} exit={node.ExitCode}",
        NodeState.Unhealthy => $"{node.Name} Unhealthy pid={node.ProcessId}: {node.LastError}",
        _ => $"{node.Name} {node.State}",
    };

    private void PrintStartupChange(object? sender, NodeChangedEventArgs change)
    {
        if (!change.StateChanged)
        {
            return;
        }

        lock (_gate)
        {
            _plain.WriteLine(Describe(change.Current));
            _plain.Flush();
        }
    }

    private void Line(string plain, string markup)
    {
        lock (_gate)
        {
            if (_rich)
            {
                AnsiConsole.MarkupLine(markup);
            }
            else
            {
                _plain.WriteLine(plain);
                _plain.Flush();
            }
        }
    }

    private Table Table(IReadOnlyList<ClusterNode> nodes)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("Node", "State", "PID", "UDP", "HTTP", "Node id", "Restarts");
        var now = _timeProvider.GetUtcNow();
        foreach (var node in nodes.Select(n => n.Snapshot))
        {
            var uptime = node.UptimeAt(now) is { } up ? $" [grey]{up.TotalSeconds:0}s[/]" : string.Empty;
            table.AddRow(
                new Markup(node.IsSeed ? $"[bold]{node.Name}[/] [grey](seed)[/]" : node.Name),
                new Markup($"[{Colour(node.State)}]{node.State}[/]{(node.ExitCode is { } code ? $" [grey](exit {code})[/]" : uptime)}"),
                Text(node.ProcessId?.ToString(CultureInfo.InvariantCulture)),
                Text(node.UdpEndpoint?.ToString()),
                Text(node.HttpEndpoint?.ToString().TrimEnd('/')),
                Text(node.NodeId is { Length: > 12 } id ? id[..12] + "…" : node.NodeId),
                Text(node.RestartCount.ToString(CultureInfo.InvariantCulture)));
        }

        return table;
    }

    private static IRenderable Text(string? value) => new Text(value ?? "-");

    private static string Colour(NodeState state) => state switch
    {
        NodeState.Healthy => "green",
        NodeState.Starting or NodeState.Stopping => "yellow",
        NodeState.Unhealthy => "orange1",
        NodeState.Crashed => "red",
        _ => "grey",
    };
}

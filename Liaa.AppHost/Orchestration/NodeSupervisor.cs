using System.ComponentModel;
using System.Net;
using System.Net.Sockets;

namespace Liaa.AppHost.Orchestration;

/// <summary>
/// Runs one <see cref="ClusterNode"/>: launches its process, waits for <c>/health</c>, notices the
/// exit and tells expected (stopped, killed) from unexpected (crashed), and stops, kills or restarts
/// it on request.
/// </summary>
/// <remarks>
/// <para>
/// Launch, stop and restart are serialised by one semaphore, held only while the process is
/// launched or stopped: waiting for a node to become healthy happens outside it, so a node that is
/// starting can still be stopped (Ctrl+C during start-up). Kill takes no lock, so it can cut short a
/// graceful stop that hangs.
/// </para>
/// <para>
/// Ports are kept across restarts (other nodes' routing tables and Prometheus keep pointing at the
/// right place) unless they have been taken meanwhile. A node that exits with a failure code before
/// it is healthy is launched again on fresh ports, a few times: another process may have bound a
/// port between the AppHost's probe and the node's own bind. The seed's fixed UDP port never changes.
/// </para>
/// </remarks>
internal sealed class NodeSupervisor
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SilentPollDelay = TimeSpan.FromMilliseconds(500);

    private readonly LiaaCluster _cluster;
    private readonly SemaphoreSlim _operation = new(1, 1);
    private readonly Lock _gate = new();
    private readonly int _fixedUdpPort;
    private SupervisedProcess? _process;
    private Task _exitHandled = Task.CompletedTask;
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;
    private bool _exitExpected;
    private bool _becameHealthy;
    private bool _hasRun;
    private int _autoRestarts;
    private int _udpPort;
    private int _httpPort;

    /// <param name="cluster">The owner: options, shared services, event publishing.</param>
    /// <param name="node">The resource this supervisor runs.</param>
    /// <param name="fixedUdpPort">A UDP port the node must always use (the seed's 8468), or 0 to pick a free one.</param>
    public NodeSupervisor(LiaaCluster cluster, ClusterNode node, int fixedUdpPort)
    {
        _cluster = cluster;
        Node = node;
        _fixedUdpPort = fixedUdpPort;
    }

    public ClusterNode Node { get; }

    /// <summary>The pid of the running process, if any.</summary>
    public int? RunningProcessId
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false } process ? process.Id : null;
            }
        }
    }

    /// <summary>
    /// Launches the node unless it is already running, and returns once it is healthy.
    /// </summary>
    /// <exception cref="NodeStartException">The node exited, could not be launched, or was stopped first.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            SupervisedProcess process;
            await _operation.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                process = CurrentProcess() ?? Launch(freshPorts: attempt > 1);
            }
            finally
            {
                _operation.Release();
            }

            try
            {
                await WaitUntilHealthyAsync(process, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NodeStartException exception) when (attempt < StartAttempts && exception.ExitCode is not (null or 0) && !IsExitExpected(process) && !_cluster.IsShuttingDown)
            {
                OrchestrationLog.NodeStartRetry(_cluster.Logger, Node.Name, exception.ExitCode, attempt + 1);
            }
        }
    }

    /// <summary>Stops the node gracefully (SIGTERM, end of input), killing it after the stop timeout; a no-op when it is not running.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SupervisedProcess? process;
            Task exitHandled;
            lock (_gate)
            {
                process = _process;
                if (process is null || process.HasExited)
                {
                    return;
                }

                _exitExpected = true;
                exitHandled = _exitHandled;
            }

            Update(s => s.State.IsRunning() ? s with { State = NodeState.Stopping } : s);
            Node.ConsoleLog.Append(ConsoleStream.AppHost, $"Stopping pid {process.Id} (SIGTERM, then kill after {_cluster.Options.StopTimeout.TotalSeconds:0.#} s).");
            await process.StopAsync(_cluster.Options.StopTimeout, cancellationToken).ConfigureAwait(false);
            await exitHandled.ConfigureAwait(false);
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>Kills the node's process at once (SIGKILL) and waits for the exit to be recorded; a no-op when it is not running.</summary>
    public async Task KillAsync()
    {
        SupervisedProcess? process;
        Task exitHandled;
        lock (_gate)
        {
            process = _process;
            if (process is null || process.HasExited)
            {
                return;
            }

            _exitExpected = true;
            exitHandled = _exitHandled;
        }

        Node.ConsoleLog.Append(ConsoleStream.AppHost, $"Killing pid {process.Id} (SIGKILL).");
        process.Kill();
        await exitHandled.ConfigureAwait(false);
    }

    /// <summary>One periodic <c>/health</c> check of a node that has been healthy: flips it between Healthy and Unhealthy.</summary>
    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        var before = Node.Snapshot;
        if (before.State is not (NodeState.Healthy or NodeState.Unhealthy) || before.HttpEndpoint is null || RunningProcessId is not { } pid)
        {
            return;
        }

        var healthy = await _cluster.Probe.IsHealthyAsync(before.HttpEndpoint, ProbeTimeout, cancellationToken).ConfigureAwait(false);
        Update(s => s.ProcessId == pid && s.State is NodeState.Healthy or NodeState.Unhealthy
            ? s with
            {
                State = healthy ? NodeState.Healthy : NodeState.Unhealthy,
                LastError = healthy ? null : "/health did not answer 200",
            }
            : s);
    }

    /// <summary>Counts one automatic restart if the policy allows another; returns its number, or 0 when none is left.</summary>
    public int TryTakeAutoRestart()
    {
        lock (_gate)
        {
            return _autoRestarts < _cluster.Options.MaxAutoRestarts ? ++_autoRestarts : 0;
        }
    }

    private SupervisedProcess? CurrentProcess()
    {
        lock (_gate)
        {
            return _process is { HasExited: false } process ? process : null;
        }
    }

    private bool IsExitExpected(SupervisedProcess process)
    {
        lock (_gate)
        {
            return _process == process && _exitExpected;
        }
    }

    private SupervisedProcess Launch(bool freshPorts)
    {
        if (_cluster.IsShuttingDown)
        {
            throw new OperationCanceledException("The cluster is shutting down.");
        }

        AllocatePorts(freshPorts);
        var options = _cluster.Options;
        var udp = new IPEndPoint(IPAddress.Parse(options.Host), _udpPort);
        var http = new Uri($"http://{NodeLaunch.FormatHostPort(options.Host, _httpPort)}");
        var arguments = NodeLaunch.BuildArguments(Node.Name, options.Host, _udpPort, _httpPort, _cluster.SeedsFor(this));
        var environment = NodeLaunch.BuildEnvironment(Node.Name, options, System.Environment.GetEnvironmentVariable, System.Environment.ProcessId, _cluster.Telemetry);
        var startInfo = NodeLaunch.CreateStartInfo(_cluster.Program, arguments, environment);
        Node.ConsoleLog.Append(ConsoleStream.AppHost, $"Starting: {_cluster.Program} {string.Join(' ', arguments)}");

        long generation;
        lock (_gate)
        {
            generation = ++_generation;
            _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        SupervisedProcess process;
        try
        {
            process = SupervisedProcess.Start(startInfo, Node.ConsoleLog, _cluster.TimeProvider, line => OnOutputLine(generation, line));
        }
        catch (Exception exception) when (exception is Win32Exception or IOException)
        {
            var message = $"{Node.Name} could not be launched ({_cluster.Program}): {exception.Message}";
            Node.ConsoleLog.Append(ConsoleStream.AppHost, message);
            Update(s => s with { LastError = message });
            throw new NodeStartException(Node.Name, message, null, exception);
        }

        bool isRestart;
        lock (_gate)
        {
            _process = process;
            _exitExpected = false;
            _becameHealthy = false;
            isRestart = _hasRun;
            _hasRun = true;
            _exitHandled = HandleExitAsync(process);
        }

        Node.ConsoleLog.Append(ConsoleStream.AppHost, $"Started pid {process.Id}.");
        Update(s => s with
        {
            State = NodeState.Starting,
            NodeId = null,
            UdpEndpoint = udp,
            HttpEndpoint = http,
            ProcessId = process.Id,
            StartedAt = process.StartedAt,
            ExitedAt = null,
            ExitCode = null,
            LastError = null,
            RestartCount = s.RestartCount + (isRestart ? 1 : 0),
        });
        return process;
    }

    private void AllocatePorts(bool fresh)
    {
        var ports = _cluster.Ports;
        if (_fixedUdpPort != 0)
        {
            if (!PortAllocator.IsFree(ProtocolType.Udp, _fixedUdpPort))
            {
                var message = $"{Node.Name} needs UDP port {_fixedUdpPort}, which is in use (another Liaa cluster or node?). " +
                    "Stop it, or choose another seed port (--seed-port, 0 for a free one).";
                Update(s => s with { LastError = message });
                throw new NodeStartException(Node.Name, message);
            }

            _udpPort = _fixedUdpPort;
        }
        else if (_udpPort == 0 || fresh || !PortAllocator.IsFree(ProtocolType.Udp, _udpPort))
        {
            _udpPort = ports.NextUdpPort();
        }

        if (_httpPort == 0 || fresh || !PortAllocator.IsFree(ProtocolType.Tcp, _httpPort))
        {
            _httpPort = ports.NextTcpPort();
        }
    }

    private void OnOutputLine(long generation, string line)
    {
        if (!NodeStartupLine.TryParse(line, out var startup))
        {
            return;
        }

        lock (_gate)
        {
            if (generation != _generation)
            {
                return;
            }

            _listening.TrySetResult();
        }

        // The node's own account wins over what the AppHost asked for, except that a wildcard
        // address (the node bound every interface) keeps the address the AppHost reaches it at.
        Update(s => s with
        {
            NodeId = startup!.NodeId,
            UdpEndpoint = Reported(s.UdpEndpoint, startup.UdpEndpoint),
            HttpEndpoint = startup.HttpEndpoint.Port == 0 || s.HttpEndpoint is null || startup.HttpEndpoint.Host is "0.0.0.0" or "[::]" or "+" or "*"
                ? s.HttpEndpoint is { } asked && startup.HttpEndpoint.Port != 0 ? new UriBuilder(asked) { Port = startup.HttpEndpoint.Port }.Uri : s.HttpEndpoint
                : startup.HttpEndpoint,
        });
    }

    private static IPEndPoint? Reported(IPEndPoint? asked, IPEndPoint reported)
    {
        if (reported.Port == 0)
        {
            return asked;
        }

        var wildcard = reported.Address.Equals(IPAddress.Any) || reported.Address.Equals(IPAddress.IPv6Any);
        return new IPEndPoint(wildcard ? asked?.Address ?? IPAddress.Loopback : reported.Address, reported.Port);
    }

    /// <remarks>
    /// Nothing answers before the node prints its startup line (the runtime is still starting and
    /// JIT-compiling), so until then <c>/health</c> is asked only every half second, in case the line
    /// never comes; once the node listens, it is asked at short, growing intervals, because healthy
    /// (joined) is then a few round trips away.
    /// </remarks>
    private async Task WaitUntilHealthyAsync(SupervisedProcess process, CancellationToken cancellationToken)
    {
        Task listening;
        lock (_gate)
        {
            listening = _listening.Task;
        }

        var delay = FirstPollDelay;
        while (true)
        {
            if (!listening.IsCompleted && !process.HasExited)
            {
                await Task.WhenAny(listening, process.Exited, Task.Delay(SilentPollDelay, _cluster.TimeProvider, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (process.HasExited)
            {
                throw ExitedBeforeHealthy(process);
            }

            var http = Node.Snapshot.HttpEndpoint;
            var health = http is null ? null : await _cluster.Probe.GetHealthAsync(http, ProbeTimeout, cancellationToken).ConfigureAwait(false);
            if (health == HttpStatusCode.NotFound && listening.IsCompleted)
            {
                // Routes are mapped before Kestrel answers at all: a 404 will not turn into a 200.
                // Before the node says it listens, a 404 comes from whoever took the port between
                // its probe and the node's bind; the node then exits and starts again on fresh ports.
                var message = $"{Node.Name} answers 404 Not Found on {http}health: it does not serve the health endpoint the AppHost waits for.";
                await KillAsync().ConfigureAwait(false);
                Node.ConsoleLog.Append(ConsoleStream.AppHost, message);
                Update(s => s with { LastError = message });
                throw new NodeStartException(Node.Name, message);
            }

            if (health == HttpStatusCode.OK)
            {
                // The startup line normally gave the id already; asking /v1/node costs each node a
                // noticeable share of its start-up CPU (the JSON path's first use), so only when needed.
                var info = Node.Snapshot.NodeId is null
                    ? await _cluster.Probe.GetNodeInfoAsync(http!, ProbeTimeout, cancellationToken).ConfigureAwait(false)
                    : null;
                if (MarkHealthy(process, info))
                {
                    return;
                }

                throw ExitedBeforeHealthy(process);
            }

            if (listening.IsCompleted)
            {
                await Task.WhenAny(process.Exited, Task.Delay(delay, _cluster.TimeProvider, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPollDelay.Ticks));
            }
        }
    }

    private bool MarkHealthy(SupervisedProcess process, NodeInfo? info)
    {
        lock (_gate)
        {
            if (_process != process || process.HasExited || _exitExpected)
            {
                return false;
            }

            _becameHealthy = true;
        }

        Update(s => s.ProcessId == process.Id && s.State is NodeState.Starting or NodeState.Unhealthy
            ? s with { State = NodeState.Healthy, NodeId = info?.Id ?? s.NodeId, LastError = null }
            : s);
        return true;
    }

    private NodeStartException ExitedBeforeHealthy(SupervisedProcess process)
    {
        var exitCode = process.Exited.IsCompletedSuccessfully ? process.Exited.Result : (int?)null;
        var reason = IsExitExpected(process) ? "was stopped" : $"exited with code {exitCode}";
        var tail = string.Join(System.Environment.NewLine, Node.ConsoleLog.Tail(15).Select(l => "  " + l.Text));
        return new NodeStartException(
            Node.Name,
            $"{Node.Name} {reason} before it became healthy. Last output:{System.Environment.NewLine}{tail}",
            exitCode);
    }

    private async Task HandleExitAsync(SupervisedProcess process)
    {
        var exitCode = await process.Exited.ConfigureAwait(false);
        bool expected;
        bool wasHealthy;
        lock (_gate)
        {
            expected = _exitExpected || _cluster.IsShuttingDown;
            wasHealthy = _becameHealthy;
        }

        var now = _cluster.TimeProvider.GetUtcNow();
        Node.ConsoleLog.Append(ConsoleStream.AppHost, $"Process {process.Id} exited with code {exitCode}{(expected ? "." : " (unexpectedly).")}");
        Update(s => s.ProcessId == process.Id
            ? s with
            {
                State = expected ? NodeState.Stopped : NodeState.Crashed,
                ExitCode = exitCode,
                ExitedAt = now,
                LastError = expected ? null : $"exited unexpectedly with code {exitCode}",
            }
            : s);
        process.Dispose();
        if (!expected)
        {
            OrchestrationLog.NodeCrashed(_cluster.Logger, Node.Name, process.Id, exitCode);
            _cluster.OnNodeCrashed(this, wasHealthy);
        }
    }

    private void Update(Func<NodeSnapshot, NodeSnapshot> change)
    {
        var (before, after, changed) = Node.Update(change);
        if (changed is not null)
        {
            _cluster.Publish(Node, before, after);
            changed.TrySetResult();
        }
    }
}

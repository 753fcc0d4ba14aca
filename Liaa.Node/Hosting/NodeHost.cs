using Liaa.Node.Api;
using Liaa.Node.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Liaa.Node.Hosting;

/// <summary>
/// Runs the <see cref="LiaaNode"/> of a <c>serve</c> process: binds it when the host starts (a port
/// in use fails the start with the reason), joins in the background, retrying while no seed answers
/// (seeds may start after us), and stops it with the host.
/// </summary>
internal sealed class NodeHost : BackgroundService, IHealthCheck, IRunningNode
{
    private static readonly TimeSpan JoinRetry = TimeSpan.FromSeconds(2);

    private readonly LiaaNodeOptions _options;
    private readonly NodeMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private LiaaNode? _node;

    public NodeHost(LiaaNodeOptions options, NodeMetrics metrics, ILoggerFactory loggerFactory)
    {
        _options = options;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The running node; throws before the host started.</summary>
    public LiaaNode Node => _node ?? throw new InvalidOperationException("The node has not started yet.");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _node = await LiaaNode.StartAsync(_options, _loggerFactory, _metrics, cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var result = await Node.BootstrapAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
            if (result.IsJoined)
            {
                return;
            }

            await Task.Delay(JoinRetry, _options.TimeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_node is not null)
        {
            await _node.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Readiness: see <see cref="NodeReadiness"/>.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(NodeReadiness.Check(_node));
}

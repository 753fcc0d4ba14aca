using Liaa.Node.Api;
using Liaa.Node.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Liaa.Node.Hosting;

/// <summary>
/// Runs the <see cref="LiaaNode"/> of a <c>serve</c> process: binds it when the host starts (a port
/// in use fails the start with the reason), joins in the background, retrying while no seed answers
/// (seeds may start after us), and stops it with the host. Seeds given by name are resolved again at
/// every attempt, so a seed that moved is found at its new address; why a name gave no address is
/// logged and shown by <c>/health</c> until the node has joined.
/// </summary>
/// <remarks>
/// The retries start at <see cref="FirstJoinRetry"/> and double up to <see cref="LastJoinRetry"/>: a seed
/// that is starting at the same moment is usually up within a fraction of a second, and every moment not
/// joined is a moment the node reports unhealthy (a fixed 2 s made a node that missed its seed by a
/// millisecond wait 2 s more).
/// </remarks>
internal sealed class NodeHost : BackgroundService, IHealthCheck, IRunningNode
{
    internal static readonly TimeSpan FirstJoinRetry = TimeSpan.FromMilliseconds(250);
    internal static readonly TimeSpan LastJoinRetry = TimeSpan.FromSeconds(2);

    private readonly LiaaNodeOptions _options;
    private readonly NodeMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly NamedSeeds? _namedSeeds;
    private readonly ILogger _logger;
    private LiaaNode? _node;
    private volatile string? _seedProblem;
    private volatile JoinResult? _lastJoin;
    private readonly Lock _readinessLock = new();
    private (HealthStatus Status, string? Description)? _lastReadiness;
    private bool _everReady;

    public NodeHost(LiaaNodeOptions options, NodeMetrics metrics, ILoggerFactory loggerFactory, NamedSeeds? namedSeeds = null)
    {
        _options = options;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _namedSeeds = namedSeeds is { Names.Count: > 0 } ? namedSeeds : null;
        _logger = loggerFactory.CreateLogger("Liaa.Node");
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
        var retry = FirstJoinRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await JoinOnceAsync(stoppingToken).ConfigureAwait(false))
            {
                _seedProblem = null;
                return;
            }

            await Task.Delay(retry, _options.TimeProvider, stoppingToken).ConfigureAwait(false);
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastJoinRetry.Ticks));
        }
    }

    /// <summary>One join attempt through the address seeds and whatever the named seeds resolve to now.</summary>
    private async Task<bool> JoinOnceAsync(CancellationToken cancellationToken)
    {
        if (_namedSeeds is null)
        {
            _lastJoin = await Node.BootstrapAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return _lastJoin.IsJoined;
        }

        var resolution = await _namedSeeds.ResolveAsync(Node.EndPoint, cancellationToken).ConfigureAwait(false);
        foreach (var problem in resolution.Problems)
        {
            Log.SeedNotResolved(_logger, problem);
        }

        _seedProblem = resolution.Problems.Count > 0 ? string.Join(" ", resolution.Problems) : null;
        var seeds = _options.Seeds.Concat(resolution.EndPoints.Where(e => !_options.Seeds.Contains(e))).ToArray();
        if (seeds.Length == 0)
        {
            // Every seed is a name and none resolved: joining "through no seed" would start a new network.
            return false;
        }

        _lastJoin = await Node.BootstrapAsync(seeds, cancellationToken).ConfigureAwait(false);
        return _lastJoin.IsJoined;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_node is not null)
        {
            await _node.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Readiness: see <see cref="NodeReadiness"/>. Logged here, once per change, instead of by the health check service
    /// at every request (ServeCommand silences it): a starting node that has not joined yet is at Information, a node that
    /// was ready and no longer is at Error, with the reason.
    /// </summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = NodeReadiness.Check(_node, SeedsOtherThanSelf(), _seedProblem);
        var reported = (result.Status, result.Description);
        lock (_readinessLock)
        {
            if (_lastReadiness != reported)
            {
                var wasReady = _everReady;
                _lastReadiness = reported;
                _everReady |= result.Status == HealthStatus.Healthy;
                if (result.Status == HealthStatus.Healthy)
                {
                    Log.Ready(_logger, result.Description);
                }
                else if (wasReady)
                {
                    Log.NotReady(_logger, result.Description);
                }
                else
                {
                    Log.NotReadyYet(_logger, result.Description);
                }
            }
        }

        return Task.FromResult(result);
    }

    /// <summary>
    /// The seeds the last join tried that were not this node itself; before any join, those configured (a name
    /// counts once, whatever it resolves to).
    /// </summary>
    private int? SeedsOtherThanSelf() => _lastJoin?.SeedsTried
        ?? (_node is null ? null : _options.Seeds.Count(s => !s.Equals(_node.EndPoint)) + (_namedSeeds?.Names.Count ?? 0));
}

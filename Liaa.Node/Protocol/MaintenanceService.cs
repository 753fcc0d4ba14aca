using Liaa.Node.Kademlia;
using Liaa.Node.Storage;
using Liaa.Node.Telemetry;

namespace Liaa.Node.Protocol;

/// <summary>
/// The node's periodic work, on one <see cref="PeriodicTimer"/> of the node's clock: drop expired
/// values, ping stale contacts (so a healed partition reconnects), refresh buckets with no lookup for an
/// hour, replicate values not received in the last hour, republish this node's own values every 24 hours,
/// and, with a data directory, save the contacts and compact the value log when due. Each job decides for itself what is
/// due, so the tick only bounds how late a job can be.
/// </summary>
internal sealed class MaintenanceService : BackgroundService
{
    private readonly MaintenanceJobs _operations;
    private readonly IValueStore _store;
    private readonly RoutingTable _routing;
    private readonly NodeDataDirectory? _data;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly NodeMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>
    /// Runs <paramref name="operations"/> and expires values in <paramref name="store"/> every <paramref name="interval"/> of
    /// <paramref name="time"/>; with <paramref name="data"/>, also saves the contacts of <paramref name="routing"/> and compacts the value log.
    /// </summary>
    public MaintenanceService(
        MaintenanceJobs operations, IValueStore store, RoutingTable routing, NodeDataDirectory? data, TimeSpan interval, TimeProvider time, NodeMetrics metrics, ILogger logger)
    {
        _operations = operations;
        _store = store;
        _routing = routing;
        _data = data;
        _interval = interval;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Completed rounds, for tests that wait on maintenance having run.</summary>
    public int Rounds { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);

        // Stopping disposes the timer, which ends its wait with false: a wait given the token threw an
        // OperationCanceledException at every node's stop (two per node, with the host's rethrow; 40,000 at the end of a
        // 20,000-node bench sim).
        using var stopping = stoppingToken.UnsafeRegister(static t => ((PeriodicTimer)t!).Dispose(), timer);
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await RunOnceAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var expired = _store.RemoveExpired();
            if (expired > 0)
            {
                _metrics.Expired(expired);
            }

            await _operations.ProbeStaleAsync(cancellationToken).ConfigureAwait(false);
            await _operations.RefreshAsync(RefreshScope.Stale, cancellationToken).ConfigureAwait(false);
            await _operations.ReplicateAsync(cancellationToken).ConfigureAwait(false);
            await _operations.RepublishAsync(cancellationToken).ConfigureAwait(false);
            if (_data is { } data)
            {
                data.TrySaveContacts(_routing.GetAll(), _logger);
                await data.Values.CompactIfDueAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.MaintenanceFailed(_logger, ex);
        }

        Rounds++;
    }
}

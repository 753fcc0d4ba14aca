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
    private readonly NodeRuntime _node;
    private readonly MaintenanceJobs _operations;

    public MaintenanceService(NodeRuntime node, MaintenanceJobs operations)
    {
        _node = node;
        _operations = operations;
    }

    /// <summary>Completed rounds, for tests that wait on maintenance having run.</summary>
    public int Rounds { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_node.Options.MaintenanceInterval, _node.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RunOnceAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var expired = _node.Store.RemoveExpired();
            if (expired > 0)
            {
                _node.Metrics.Expired(expired);
            }

            await _operations.ProbeStaleAsync(cancellationToken).ConfigureAwait(false);
            await _operations.RefreshAsync(RefreshScope.Stale, cancellationToken).ConfigureAwait(false);
            await _operations.ReplicateAsync(cancellationToken).ConfigureAwait(false);
            await _operations.RepublishAsync(cancellationToken).ConfigureAwait(false);
            if (_node.Data is { } data)
            {
                _node.Contacts.Save();
                await data.Values.CompactIfDueAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.MaintenanceFailed(_node.Logger, ex);
        }

        Rounds++;
    }
}

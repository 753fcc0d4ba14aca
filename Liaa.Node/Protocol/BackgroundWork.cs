using Liaa.Node.Telemetry;

namespace Liaa.Node.Protocol;

/// <summary>
/// Owns the node's short background tasks (pinging a stale contact, handing keys to a newcomer,
/// caching a value along a lookup path) so none is fire-and-forget: each is tracked, its failure
/// logged, and <see cref="StopAsync"/> cancels and awaits them all.
/// </summary>
internal sealed class BackgroundWork
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _running = [];
    private readonly ILogger _logger;

    public BackgroundWork(ILogger logger)
    {
        _logger = logger;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> in the background; false (nothing run) once stopping.</summary>
    public bool Run(Func<CancellationToken, Task> work)
    {
        if (_stopping.IsCancellationRequested)
        {
            return false;
        }

        var task = Task.Run(() => RunCoreAsync(work));
        lock (_gate)
        {
            _running.Add(task);
        }

        // Registered after the Add, so a task that already finished is removed at once.
        task.ContinueWith(
            static (t, state) => ((BackgroundWork)state!).Forget(t),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return true;
    }

    /// <summary>Completes once no background work is running (work started meanwhile included).</summary>
    public async Task WhenIdleAsync()
    {
        while (true)
        {
            Task[] running;
            lock (_gate)
            {
                running = [.. _running];
            }

            if (running.Length == 0)
            {
                return;
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private void Forget(Task task)
    {
        lock (_gate)
        {
            _running.Remove(task);
        }
    }

    private async Task RunCoreAsync(Func<CancellationToken, Task> work)
    {
        try
        {
            await work(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.BackgroundWorkFailed(_logger, ex);
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        _stopping.Dispose();
    }
}

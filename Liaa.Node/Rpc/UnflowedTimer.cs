namespace Liaa.Node.Rpc;

/// <summary>Timers that do not capture their creator's execution context.</summary>
internal static class UnflowedTimer
{
    /// <summary>
    /// <see cref="TimeProvider.CreateTimer"/> without the caller's async-locals (its span, for one): a timer made by
    /// whichever call or lookup comes first and kept for later ones must not hold that caller's context for good. Works
    /// whether or not the flow is already suppressed (<see cref="ExecutionContext.SuppressFlow"/> throws when it is).
    /// </summary>
    public static ITimer Create(TimeProvider time, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return time.CreateTimer(callback, state, dueTime, period);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return time.CreateTimer(callback, state, dueTime, period);
        }
    }
}

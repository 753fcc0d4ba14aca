using System.Diagnostics;

namespace Liaa.Tests.TestSupport.Otlp;

/// <summary>
/// The telemetry the AppHost's OTLP receiver got: spans, metric points and log records, each
/// bounded (<see cref="TelemetryStoreOptions"/>) with the newest kept, indexed by trace id and by
/// service (<c>service.name</c> + <c>service.instance.id</c>). Tests and the dashboard read it with
/// the query methods and wait for data with <see cref="WaitUntilAsync"/> or <see cref="Changed"/>.
/// </summary>
/// <remarks>
/// Thread-safe behind one lock; queries return copies. Items are appended in arrival order to a
/// global queue per signal and to the per-trace and per-service lists, so the globally oldest item
/// is always at the head of its own lists too, and eviction is O(1) apart from shifting one trace's
/// list. Queries scan (the store holds at most some 10⁵ items); nothing is sorted on insert.
/// The store never reads the clock except to note when a service was last seen.
/// </remarks>
internal sealed class TelemetryStore
{
    private readonly Lock _gate = new();
    private readonly TelemetryStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Queue<StoredSpan> _spans = new();
    private readonly Queue<StoredMetricPoint> _points = new();
    private readonly Queue<StoredLogRecord> _logs = new();
    private readonly Dictionary<string, List<StoredSpan>> _traces = new(StringComparer.Ordinal);
    private readonly Dictionary<ServiceKey, ServiceEntry> _services = [];
    private TaskCompletionSource _next = NewSignal();
    private long _version;

    public TelemetryStore(TelemetryStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new TelemetryStoreOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Raised after each accepted export, outside the lock, on the receiving thread: handlers must be
    /// quick (hand the work off) and must not throw.
    /// </summary>
    public event EventHandler<TelemetryChange>? Changed;

    /// <summary>Increases with every accepted export; pair with <see cref="WaitForChangeAsync"/>.</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    public void Add(IReadOnlyList<StoredSpan> spans) => Add(spans, [], []);

    public void Add(IReadOnlyList<StoredMetricPoint> points) => Add([], points, []);

    public void Add(IReadOnlyList<StoredLogRecord> logs) => Add([], [], logs);

    /// <summary>Completes once <see cref="Version"/> is past <paramref name="sinceVersion"/>.</summary>
    public Task WaitForChangeAsync(long sinceVersion, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _version > sinceVersion ? Task.CompletedTask : _next.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Completes when <paramref name="condition"/> holds, checked now and after every change. Bound it
    /// with the token (tests pass a timeout).
    /// </summary>
    public async Task WaitUntilAsync(Func<TelemetryStore, bool> condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            var version = Version;
            if (condition(this))
            {
                return;
            }

            await WaitForChangeAsync(version, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The spans of one trace, by start time; empty when the trace is unknown (or evicted).</summary>
    public IReadOnlyList<StoredSpan> GetTrace(string traceId)
    {
        ArgumentNullException.ThrowIfNull(traceId);
        lock (_gate)
        {
            return _traces.TryGetValue(traceId.ToLowerInvariant(), out var spans)
                ? [.. spans.OrderBy(s => s.StartTime)]
                : [];
        }
    }

    /// <summary>Summaries of the traces the query selects, newest start first.</summary>
    public IReadOnlyList<TraceSummary> ListTraces(TraceQuery? query = null)
    {
        query ??= new TraceQuery();
        List<TraceSummary> summaries = [];
        lock (_gate)
        {
            foreach (var (traceId, spans) in _traces)
            {
                if (query.ServiceName is not null || query.InstanceId is not null)
                {
                    if (!spans.Exists(s => s.Service.Matches(query.ServiceName, query.InstanceId)))
                    {
                        continue;
                    }
                }

                if (query.SpanName is not null && !spans.Exists(s => s.Name == query.SpanName))
                {
                    continue;
                }

                var summary = Summarize(traceId, spans);
                if ((query.Since is { } since && summary.StartTime < since) || (query.OnlyErrors && !summary.HasError))
                {
                    continue;
                }

                summaries.Add(summary);
            }
        }

        return [.. summaries.OrderByDescending(s => s.StartTime).Take(query.Limit)];
    }

    public IReadOnlyList<StoredSpan> GetSpans(SpanQuery? query = null)
    {
        query ??= new SpanQuery();
        lock (_gate)
        {
            IEnumerable<StoredSpan> source = query.TraceId is not null
                ? _traces.GetValueOrDefault(query.TraceId.ToLowerInvariant()) ?? []
                : _spans;
            return Newest(
                source.Where(s => s.Service.Matches(query.ServiceName, query.InstanceId)
                    && (query.Name is null || s.Name == query.Name)
                    && (query.Kind is null || s.Kind == query.Kind)),
                query.Limit);
        }
    }

    public IReadOnlyList<StoredLogRecord> GetLogs(LogQuery? query = null)
    {
        query ??= new LogQuery();
        lock (_gate)
        {
            return Newest(
                _logs.Where(l => l.Service.Matches(query.ServiceName, query.InstanceId)
                    && (query.TraceId is null || string.Equals(l.TraceId, query.TraceId, StringComparison.OrdinalIgnoreCase))
                    && l.Level >= query.MinimumLevel
                    && (query.TextContains is null || (l.Body?.Contains(query.TextContains, StringComparison.OrdinalIgnoreCase) ?? false))),
                query.Limit);
        }
    }

    public IReadOnlyList<StoredMetricPoint> GetMetrics(MetricQuery? query = null)
    {
        query ??= new MetricQuery();
        lock (_gate)
        {
            var selected = _points.Where(p => p.Service.Matches(query.ServiceName, query.InstanceId)
                && (query.Name is null || p.Name == query.Name));
            if (!query.LatestOnly)
            {
                return Newest(selected, query.Limit);
            }

            // Newest first, keep the first point of each series, then restore arrival order.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var latest = selected.Reverse().Where(p => seen.Add(SeriesKey(p))).Take(query.Limit).ToList();
            latest.Reverse();
            return latest;
        }
    }

    /// <summary>Every service that sent telemetry still held, or held before, by name.</summary>
    public IReadOnlyList<ServiceSummary> GetServices()
    {
        lock (_gate)
        {
            return [.. _services
                .Select(s => new ServiceSummary(s.Key, s.Value.LastSeen, s.Value.Spans, s.Value.MetricPoints, s.Value.LogRecords))
                .OrderBy(s => s.Service.ServiceName, StringComparer.Ordinal)
                .ThenBy(s => s.Service.InstanceId, StringComparer.Ordinal)];
        }
    }

    private void Add(IReadOnlyList<StoredSpan> spans, IReadOnlyList<StoredMetricPoint> points, IReadOnlyList<StoredLogRecord> logs)
    {
        if (spans.Count + points.Count + logs.Count == 0)
        {
            return;
        }

        TaskCompletionSource signal;
        TelemetryChange change;
        var now = _timeProvider.GetUtcNow();
        var services = new HashSet<ServiceKey>();
        lock (_gate)
        {
            foreach (var span in spans)
            {
                _spans.Enqueue(span);
                if (!_traces.TryGetValue(span.TraceId, out var trace))
                {
                    trace = [];
                    _traces.Add(span.TraceId, trace);
                }

                trace.Add(span);
                Service(span.Service, now, services).Spans++;
            }

            foreach (var point in points)
            {
                _points.Enqueue(point);
                Service(point.Service, now, services).MetricPoints++;
            }

            foreach (var log in logs)
            {
                _logs.Enqueue(log);
                Service(log.Service, now, services).LogRecords++;
            }

            EvictOverflow();
            _version++;
            signal = _next;
            _next = NewSignal();
            change = new TelemetryChange([.. services], spans.Count, points.Count, logs.Count, _version);
        }

        signal.TrySetResult();
        Changed?.Invoke(this, change);
    }

    private ServiceEntry Service(ServiceKey key, DateTimeOffset now, HashSet<ServiceKey> touched)
    {
        if (!_services.TryGetValue(key, out var entry))
        {
            entry = new ServiceEntry();
            _services.Add(key, entry);
        }

        entry.LastSeen = now;
        touched.Add(key);
        return entry;
    }

    private void EvictOverflow()
    {
        while (_spans.Count > _options.MaxSpans)
        {
            var oldest = _spans.Dequeue();
            var trace = _traces[oldest.TraceId];
            Debug.Assert(ReferenceEquals(trace[0], oldest), "spans reach a trace in arrival order");
            trace.RemoveAt(0);
            if (trace.Count == 0)
            {
                _traces.Remove(oldest.TraceId);
            }

            _services[oldest.Service].Spans--;
        }

        while (_points.Count > _options.MaxMetricPoints)
        {
            _services[_points.Dequeue().Service].MetricPoints--;
        }

        while (_logs.Count > _options.MaxLogRecords)
        {
            _services[_logs.Dequeue().Service].LogRecords--;
        }
    }

    private static TraceSummary Summarize(string traceId, List<StoredSpan> spans)
    {
        var ids = new HashSet<string>(spans.Select(s => s.SpanId), StringComparer.Ordinal);
        var roots = spans.Where(s => s.ParentSpanId is null).ToList();
        var root = (roots.Count > 0 ? roots : spans.Where(s => !ids.Contains(s.ParentSpanId!)).ToList())
            .DefaultIfEmpty(spans[0])
            .MinBy(s => s.StartTime)!;
        var start = spans.Min(s => s.StartTime);
        var end = spans.Max(s => s.EndTime);
        return new TraceSummary(
            traceId,
            root.Name,
            root.Service,
            roots.Count > 0,
            start,
            end - start,
            spans.Count,
            [.. spans.Select(s => s.Service).Distinct()],
            spans.Exists(s => s.StatusCode == ActivityStatusCode.Error));
    }

    private static string SeriesKey(StoredMetricPoint point) =>
        point.Service + "|" + point.ScopeName + "|" + point.Name + "|"
        + string.Join(",", point.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value));

    private static T[] Newest<T>(IEnumerable<T> items, int limit)
    {
        var buffer = new Queue<T>();
        foreach (var item in items)
        {
            buffer.Enqueue(item);
            if (buffer.Count > limit)
            {
                buffer.Dequeue();
            }
        }

        return [.. buffer];
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class ServiceEntry
    {
        public DateTimeOffset LastSeen { get; set; }

        public int Spans { get; set; }

        public int MetricPoints { get; set; }

        public int LogRecords { get; set; }
    }
}

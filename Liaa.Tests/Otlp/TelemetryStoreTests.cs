using System.Diagnostics;
using Liaa.AppHost.Otlp;
using Liaa.Node.Simulation;
using Microsoft.Extensions.Logging;

namespace Liaa.Tests.Otlp;

public sealed class TelemetryStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyDictionary<string, object?> NoAttributes = new Dictionary<string, object?>();

    private static TelemetryResource Resource(string service, string? instance = null) =>
        new(new ServiceKey(service, instance), NoAttributes);

    private static StoredSpan Span(string trace, string span, string? parent, string name, int startSeconds, string service = "node-0", string? instance = "aa", ActivityStatusCode status = ActivityStatusCode.Unset) =>
        new(Resource(service, instance), "Liaa.Node", trace, span, parent, name, ActivityKind.Internal,
            T0.AddSeconds(startSeconds), T0.AddSeconds(startSeconds + 1), status, null, NoAttributes, [], []);

    private static StoredLogRecord Log(string body, int severity, string service = "node-0", string? trace = null) =>
        new(Resource(service, "aa"), "Category", T0, severity, null, body, null, NoAttributes, trace, null);

    private static StoredMetricPoint Point(string name, double value, int second, string service = "node-0", string method = "PING") =>
        new(Resource(service, "aa"), "Liaa.Node", name, string.Empty, "{request}", MetricPointKind.Sum, true, MetricTemporality.Cumulative,
            new Dictionary<string, object?> { ["rpc.method"] = method }, T0, T0.AddSeconds(second), value, null, null);

    [Fact]
    public void GetTrace_ReturnsSpansByStartTime_WithParentLinks()
    {
        var store = new TelemetryStore();
        store.Add([Span("t1", "c2", "r1", "FIND_NODE", 2), Span("t1", "r1", null, "lookup FIND_NODE", 0), Span("t2", "x", null, "other", 1)]);

        var trace = store.GetTrace("T1");

        Assert.Equal(["lookup FIND_NODE", "FIND_NODE"], trace.Select(s => s.Name));
        Assert.Equal("r1", trace[1].ParentSpanId);
        Assert.Empty(store.GetTrace("unknown"));
    }

    [Fact]
    public void Add_EvictsOldestSpansFromEveryIndex_WhenOverCapacity()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions { MaxSpans = 3 });
        store.Add([Span("t1", "a", null, "first", 0, service: "node-1"), Span("t2", "b", null, "second", 1)]);
        store.Add([Span("t2", "c", "b", "third", 2), Span("t3", "d", null, "fourth", 3)]);

        Assert.Empty(store.GetTrace("t1"));
        Assert.Equal(["second", "third"], store.GetTrace("t2").Select(s => s.Name));
        Assert.Equal(["second", "third", "fourth"], store.GetSpans().Select(s => s.Name));
        Assert.Equal(["t3", "t2"], store.ListTraces().Select(t => t.TraceId));
        Assert.Equal(0, Assert.Single(store.GetServices(), s => s.Service.ServiceName == "node-1").Spans);
        Assert.Equal(3, Assert.Single(store.GetServices(), s => s.Service.ServiceName == "node-0").Spans);
    }

    [Fact]
    public void Add_KeepsNewestLogsAndMetricPoints_WhenOverCapacity()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions { MaxLogRecords = 2, MaxMetricPoints = 2 });
        store.Add([Log("one", 9), Log("two", 9), Log("three", 9)]);
        store.Add([Point("liaa.rpc.server.requests", 1, 1), Point("liaa.rpc.server.requests", 2, 2), Point("liaa.rpc.server.requests", 3, 3)]);

        Assert.Equal(["two", "three"], store.GetLogs().Select(l => l.Body));
        Assert.Equal([2.0, 3.0], store.GetMetrics().Select(p => p.Value));
    }

    [Fact]
    public void ListTraces_FiltersByServiceSpanNameAndErrors_NewestFirst()
    {
        var store = new TelemetryStore();
        store.Add(
        [
            Span("t1", "a", null, "lookup FIND_VALUE", 0, service: "node-0", instance: "aa"),
            Span("t1", "b", "a", "FIND_VALUE", 1, service: "node-2", instance: "cc", status: ActivityStatusCode.Error),
            Span("t2", "c", null, "lookup FIND_NODE", 5, service: "node-1", instance: "bb"),
            Span("t3", "d", null, "republish", 9, service: "node-0", instance: "aa"),
        ]);

        Assert.Equal(["t3", "t2", "t1"], store.ListTraces().Select(t => t.TraceId));
        Assert.Equal(["t3", "t1"], store.ListTraces(new TraceQuery(ServiceName: "node-0")).Select(t => t.TraceId));
        Assert.Equal(["t1"], store.ListTraces(new TraceQuery(InstanceId: "cc")).Select(t => t.TraceId));
        Assert.Equal(["t2"], store.ListTraces(new TraceQuery(SpanName: "lookup FIND_NODE")).Select(t => t.TraceId));
        Assert.Equal(["t1"], store.ListTraces(new TraceQuery(OnlyErrors: true)).Select(t => t.TraceId));
        Assert.Equal(["t3", "t2"], store.ListTraces(new TraceQuery(Since: T0.AddSeconds(5))).Select(t => t.TraceId));
        Assert.Equal(["t3"], store.ListTraces(new TraceQuery(Limit: 1)).Select(t => t.TraceId));

        var t1 = store.ListTraces(new TraceQuery(SpanName: "FIND_VALUE")).Single();
        Assert.Equal("lookup FIND_VALUE", t1.RootName);
        Assert.True(t1.HasRoot);
        Assert.Equal(TimeSpan.FromSeconds(2), t1.Duration);
        Assert.Equal([new ServiceKey("node-0", "aa"), new ServiceKey("node-2", "cc")], t1.Services);
        Assert.True(t1.HasError);
    }

    [Fact]
    public void ListTraces_NamesEarliestOrphanAsRoot_WhenRootHasNotArrived()
    {
        var store = new TelemetryStore();
        store.Add([Span("t1", "b", "missing", "FIND_VALUE server", 3), Span("t1", "c", "b", "STORE", 4)]);

        var summary = Assert.Single(store.ListTraces());

        Assert.Equal("FIND_VALUE server", summary.RootName);
        Assert.False(summary.HasRoot);
    }

    [Fact]
    public void GetLogs_FiltersByServiceTraceLevelAndText()
    {
        var store = new TelemetryStore();
        store.Add(
        [
            Log("joined the network", 9, "node-0", "t1"),
            Log("RPC timed out", 13, "node-1", "t1"),
            Log("debug detail", 5, "node-1"),
            Log("Store failed", 17, "node-2"),
        ]);

        Assert.Equal(["RPC timed out", "debug detail"], store.GetLogs(new LogQuery(ServiceName: "node-1")).Select(l => l.Body));
        Assert.Equal(["joined the network", "RPC timed out"], store.GetLogs(new LogQuery(TraceId: "T1")).Select(l => l.Body));
        Assert.Equal(["RPC timed out", "Store failed"], store.GetLogs(new LogQuery(MinimumLevel: LogLevel.Warning)).Select(l => l.Body));
        Assert.Equal(["Store failed"], store.GetLogs(new LogQuery(TextContains: "store")).Select(l => l.Body));
        Assert.Equal(["Store failed"], store.GetLogs(new LogQuery(Limit: 1)).Select(l => l.Body));
        Assert.Equal(LogLevel.Critical, Log("x", 21).Level);
        Assert.Equal(LogLevel.Trace, Log("x", 1).Level);
    }

    [Fact]
    public void GetMetrics_ReturnsLatestPointPerSeries_WhenLatestOnly()
    {
        var store = new TelemetryStore();
        store.Add(
        [
            Point("liaa.rpc.server.requests", 1, 1, method: "PING"),
            Point("liaa.rpc.server.requests", 4, 1, method: "STORE"),
            Point("liaa.rpc.server.requests", 2, 2, method: "PING"),
            Point("liaa.rpc.server.requests", 7, 2, service: "node-1", method: "PING"),
            Point("liaa.stores.received", 9, 2),
        ]);

        var latest = store.GetMetrics(new MetricQuery(ServiceName: "node-0", Name: "liaa.rpc.server.requests", LatestOnly: true));

        Assert.Equal([("STORE", 4.0), ("PING", 2.0)], latest.Select(p => ((string)p.Attributes["rpc.method"]!, p.Value!.Value)));
        Assert.Equal(3, store.GetMetrics(new MetricQuery(Name: "liaa.rpc.server.requests", LatestOnly: true)).Count);
    }

    [Fact]
    public void GetServices_ListsEachServiceWithCountsAndLastSeen()
    {
        var time = new ManualTimeProvider(T0);
        var store = new TelemetryStore(timeProvider: time);
        store.Add([Span("t1", "a", null, "x", 0, service: "node-1", instance: "bb")]);
        time.Advance(TimeSpan.FromSeconds(5));
        store.Add([Log("hello", 9, "node-0")]);

        var services = store.GetServices();

        Assert.Equal(
            [
                new ServiceSummary(new ServiceKey("node-0", "aa"), T0.AddSeconds(5), 0, 0, 1),
                new ServiceSummary(new ServiceKey("node-1", "bb"), T0, 1, 0, 0),
            ],
            services);
    }

    [Fact]
    public async Task WaitUntilAsync_CompletesOnlyAfterMatchingDataArrives()
    {
        var store = new TelemetryStore();
        var wait = store.WaitUntilAsync(s => s.GetTrace("t9").Count == 2, TestContext.Current.CancellationToken);

        store.Add([Span("t9", "a", null, "first", 0)]);
        Assert.False(wait.IsCompleted);
        store.Add([Span("t9", "b", "a", "second", 1)]);

        await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForChangeAsync_CompletesAtOnce_WhenVersionAlreadyMoved()
    {
        var store = new TelemetryStore();
        var before = store.Version;
        var pending = store.WaitForChangeAsync(before, TestContext.Current.CancellationToken);
        Assert.False(pending.IsCompleted);

        store.Add([Log("x", 9)]);

        await pending.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(store.WaitForChangeAsync(before, TestContext.Current.CancellationToken).IsCompletedSuccessfully);
    }

    [Fact]
    public void Changed_IsRaisedOncePerAdd_WithCountsAndServices()
    {
        var store = new TelemetryStore();
        List<TelemetryChange> changes = [];
        store.Changed += (_, change) => changes.Add(change);

        store.Add([Span("t1", "a", null, "x", 0, service: "node-3", instance: "dd"), Span("t1", "b", "a", "y", 0, service: "node-3", instance: "dd")]);
        store.Add(Array.Empty<StoredLogRecord>());

        var change = Assert.Single(changes);
        Assert.Equal(2, change.Spans);
        Assert.Equal([new ServiceKey("node-3", "dd")], change.Services);
        Assert.Equal(1, change.Version);
    }
}

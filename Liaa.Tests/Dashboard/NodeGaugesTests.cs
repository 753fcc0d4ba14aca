using Liaa.AppHost.Dashboard;
using Liaa.AppHost.Otlp;
using static Liaa.Tests.Dashboard.DashboardTestData;

namespace Liaa.Tests.Dashboard;

public sealed class NodeGaugesTests
{
    [Fact]
    public void Read_TakesTheNewestValues_SummingKeysOverOrigins_AndFillsBucketsByIndex()
    {
        var store = new TelemetryStore();
        store.Add([
            Gauge(NodeGauges.RoutingContacts, 3, 1, "node-1", "aa", "x", 0),
            Gauge(NodeGauges.RoutingContacts, 5, 2, "node-1", "aa", "x", 0),
            Gauge(NodeGauges.StorageKeys, 2, 2, "node-1", "aa", "liaa.origin", "own"),
            Gauge(NodeGauges.StorageKeys, 7, 2, "node-1", "aa", "liaa.origin", "replicated"),
            Gauge(NodeGauges.BucketFillMetric, 0.25, 2, "node-1", "aa", "liaa.bucket", 2L),
            Gauge(NodeGauges.BucketFillMetric, 0.05, 2, "node-1", "aa", "liaa.bucket", 0L),
        ]);

        var gauges = NodeGauges.Read(store, new Dictionary<string, string?> { ["node-1"] = "aa" })["node-1"];

        Assert.Equal((5, 9L, "aa"), (gauges.RoutingTableSize, gauges.StoredKeys, gauges.InstanceId));
        Assert.Equal([0.05, 0.0, 0.25], gauges.BucketFill);
        Assert.Equal(T0.AddSeconds(2), gauges.Time);
    }

    [Fact]
    public void Read_PrefersTheCurrentProcess_OverOneThatReportedLater()
    {
        var store = new TelemetryStore();
        store.Add([
            Gauge(NodeGauges.RoutingContacts, 4, 1, "node-2", "current", "x", 0),
            Gauge(NodeGauges.RoutingContacts, 9, 5, "node-2", "old", "x", 0),
            Gauge(NodeGauges.RoutingContacts, 6, 3, "node-3", "first", "x", 0),
            Gauge(NodeGauges.RoutingContacts, 8, 4, "node-3", "second", "x", 0),
        ]);

        var gauges = NodeGauges.Read(store, new Dictionary<string, string?> { ["node-2"] = "current", ["node-3"] = null });

        Assert.Equal(4, gauges["node-2"].RoutingTableSize);
        Assert.Equal((8, "second"), (gauges["node-3"].RoutingTableSize, gauges["node-3"].InstanceId));
        Assert.Null(gauges["node-3"].StoredKeys);
    }
}

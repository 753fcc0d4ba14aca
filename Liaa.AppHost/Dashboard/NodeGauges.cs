using System.Globalization;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// A node's latest gauges as its OTLP metrics reported them: routing-table size, stored keys by
/// origin, and the fill of each k-bucket. Read from the store, never from the node, so the pages cost
/// the nodes nothing.
/// </summary>
/// <param name="Node">The node (service) name.</param>
/// <param name="InstanceId">The process the values came from (its node id).</param>
/// <param name="Time">When the newest of these points was collected.</param>
/// <param name="RoutingTableSize">Contacts in the routing table, if reported.</param>
/// <param name="KeysByOrigin">Stored keys by origin (<c>own</c>, <c>replicated</c>, <c>cached</c>).</param>
/// <param name="BucketFill">Contacts / k per bucket, by bucket index.</param>
internal sealed record NodeGauges(
    string Node,
    string? InstanceId,
    DateTimeOffset Time,
    int? RoutingTableSize,
    IReadOnlyDictionary<string, long> KeysByOrigin,
    IReadOnlyList<double> BucketFill)
{
    public const string RoutingContacts = "liaa.routing.contacts";
    public const string StorageKeys = "liaa.storage.keys";
    public const string BucketFillMetric = "liaa.routing.bucket.fill";

    public long? StoredKeys => KeysByOrigin.Count == 0 ? null : KeysByOrigin.Values.Sum();

    /// <summary>
    /// The gauges of every node that reported them. When a node has run as several processes (a
    /// restart draws a new id), the process named in <paramref name="currentIds"/> wins, else the one
    /// that reported last.
    /// </summary>
    public static IReadOnlyDictionary<string, NodeGauges> Read(TelemetryStore store, IReadOnlyDictionary<string, string?> currentIds)
    {
        var points = new[] { RoutingContacts, StorageKeys, BucketFillMetric }
            .SelectMany(name => store.GetMetrics(new MetricQuery(Name: name, LatestOnly: true)))
            .ToList();
        var gauges = new Dictionary<string, NodeGauges>(StringComparer.Ordinal);
        foreach (var service in points.GroupBy(p => p.Service.ServiceName, StringComparer.Ordinal))
        {
            var current = currentIds.GetValueOrDefault(service.Key);
            var instance = current is not null && service.Any(p => p.Service.InstanceId == current)
                ? current
                : service.MaxBy(p => p.Time)!.Service.InstanceId;
            var own = service.Where(p => p.Service.InstanceId == instance).ToList();
            gauges[service.Key] = FromPoints(service.Key, instance, own);
        }

        return gauges;
    }

    internal static NodeGauges FromPoints(string node, string? instance, IReadOnlyList<StoredMetricPoint> points)
    {
        var routing = points.Where(p => p.Name == RoutingContacts && p.Value is not null).MaxBy(p => p.Time);
        var keys = points
            .Where(p => p.Name == StorageKeys && p.Value is not null)
            .GroupBy(p => Attribute(p, "liaa.origin") ?? "unknown", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (long)g.MaxBy(p => p.Time)!.Value!.Value, StringComparer.Ordinal);
        var fills = new SortedDictionary<int, double>();
        foreach (var point in points.Where(p => p.Name == BucketFillMetric && p.Value is not null))
        {
            if (int.TryParse(Attribute(point, "liaa.bucket"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) && index is >= 0 and < 1024)
            {
                fills[index] = point.Value!.Value;
            }
        }

        var bucketFill = new double[fills.Count == 0 ? 0 : fills.Keys.Max() + 1];
        foreach (var (index, fill) in fills)
        {
            bucketFill[index] = fill;
        }

        return new NodeGauges(
            node,
            instance,
            points.Count == 0 ? default : points.Max(p => p.Time),
            routing is null ? null : (int)routing.Value!.Value,
            keys,
            bucketFill);
    }

    private static string? Attribute(StoredMetricPoint point, string name) =>
        point.Attributes.GetValueOrDefault(name) is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
}

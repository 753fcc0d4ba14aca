using System.Globalization;
using Liaa.AppHost.Otlp;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// Turns the metric points the nodes exported into charts over time: a rate per window for counters
/// (RPCs per second by method, timeouts per second) and a mean per window for histograms (lookup
/// latency, lookup rounds), summed over every node (or one).
/// </summary>
/// <remarks>
/// <para>
/// The .NET SDK exports cumulative totals, so what happened in a window is the increase of each series
/// (one process, one attribute set) between consecutive exports, credited to the window of the later
/// export. A total that drops, or a new start time, means the process restarted: the new total is all
/// increase. The first export of a series counts whole only when the series started inside the chart,
/// since before that its total also holds what happened before the chart begins. Delta points are
/// increases already.
/// </para>
/// <para>
/// Windows are aligned to the step and the chart ends at the last whole window, so a live chart does
/// not show a half-filled window as a dip.
/// </para>
/// </remarks>
internal static class MetricSeries
{
    /// <summary>The windows of a chart ending at the last whole window before <paramref name="now"/>.</summary>
    public static ChartWindows Windows(DateTimeOffset now, TimeSpan step, int count)
    {
        var end = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % step.Ticks), TimeSpan.Zero);
        return new ChartWindows(end - (step * count), step, count);
    }

    /// <summary>Per window and group, the summed increase of monotonic sums divided by the window's seconds.</summary>
    public static IReadOnlyList<ChartSeries> Rates(IEnumerable<StoredMetricPoint> points, Func<StoredMetricPoint, string> group, ChartWindows windows)
    {
        var totals = new SortedDictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (point, increase, _) in Increases(points.Where(p => p.Value is not null), p => (p.Value!.Value, 0), windows.From))
        {
            if (windows.IndexOf(point.Time) is { } index)
            {
                Sum(totals, group(point), windows.Count)[index] += increase;
            }
        }

        var seconds = windows.Step.TotalSeconds;
        return [.. totals.Select(t => new ChartSeries(t.Key, [.. t.Value.Select(v => (double?)Math.Round(v / seconds, 3))]))];
    }

    /// <summary>Per window and group, the mean of the values histograms recorded (sum increase / count increase) times <paramref name="scale"/>; null for a window with none.</summary>
    public static IReadOnlyList<ChartSeries> HistogramMeans(IEnumerable<StoredMetricPoint> points, Func<StoredMetricPoint, string> group, ChartWindows windows, double scale = 1)
    {
        var sums = new SortedDictionary<string, double[]>(StringComparer.Ordinal);
        var counts = new SortedDictionary<string, double[]>(StringComparer.Ordinal);
        var histograms = points.Where(p => p.Histogram is { Sum: not null });
        foreach (var (point, sum, count) in Increases(histograms, p => (p.Histogram!.Sum!.Value, p.Histogram.Count), windows.From))
        {
            if (windows.IndexOf(point.Time) is { } index)
            {
                var key = group(point);
                Sum(sums, key, windows.Count)[index] += sum;
                Sum(counts, key, windows.Count)[index] += count;
            }
        }

        return [.. sums.Select(s => new ChartSeries(
            s.Key,
            [.. s.Value.Select((sum, i) => counts[s.Key][i] > 0 ? (double?)Math.Round(sum / counts[s.Key][i] * scale, 3) : null)]))];
    }

    /// <summary>A grouping by one attribute, <c>other</c> when it is missing.</summary>
    public static Func<StoredMetricPoint, string> ByAttribute(string attribute) =>
        p => p.Attributes.GetValueOrDefault(attribute) is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "other" : "other";

    private static IEnumerable<(StoredMetricPoint Point, double Value, double Count)> Increases(
        IEnumerable<StoredMetricPoint> points,
        Func<StoredMetricPoint, (double Value, double Count)> read,
        DateTimeOffset chartStart)
    {
        foreach (var series in points.GroupBy(SeriesKey, StringComparer.Ordinal))
        {
            StoredMetricPoint? previous = null;
            foreach (var point in series.OrderBy(p => p.Time))
            {
                var (value, count) = read(point);
                if (point.Temporality == MetricTemporality.Delta)
                {
                    yield return (point, value, count);
                }
                else if (previous is null)
                {
                    if (point.StartTime >= chartStart)
                    {
                        yield return (point, value, count);
                    }
                }
                else
                {
                    var (before, countBefore) = read(previous);
                    var restarted = point.StartTime != previous.StartTime || value < before || count < countBefore;
                    yield return restarted ? (point, value, count) : (point, value - before, count - countBefore);
                }

                previous = point;
            }
        }
    }

    private static double[] Sum(SortedDictionary<string, double[]> totals, string key, int count)
    {
        if (!totals.TryGetValue(key, out var values))
        {
            values = new double[count];
            totals[key] = values;
        }

        return values;
    }

    private static string SeriesKey(StoredMetricPoint point) =>
        point.Service + "|" + point.Name + "|"
        + string.Join(",", point.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value));
}

/// <summary><see cref="Count"/> windows of <see cref="Step"/> from <see cref="From"/>.</summary>
internal sealed record ChartWindows(DateTimeOffset From, TimeSpan Step, int Count)
{
    public DateTimeOffset To => From + (Step * Count);

    public int? IndexOf(DateTimeOffset time)
    {
        if (time < From || time >= To)
        {
            return null;
        }

        return (int)((time - From).Ticks / Step.Ticks);
    }
}

/// <summary>One line of a chart: a value per window, null where there is none.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<double?> Values);

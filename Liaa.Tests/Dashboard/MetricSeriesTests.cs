using Liaa.AppHost.Dashboard;
using static Liaa.Tests.Dashboard.DashboardTestData;

namespace Liaa.Tests.Dashboard;

public sealed class MetricSeriesTests
{
    private static readonly ChartWindows FourWindows = new(T0, TimeSpan.FromSeconds(2), 4);

    [Fact]
    public void Windows_EndAtTheLastWholeStep_BeforeNow()
    {
        var windows = MetricSeries.Windows(T0.AddSeconds(7.5), TimeSpan.FromSeconds(3), 2);

        Assert.Equal((T0.AddSeconds(0), T0.AddSeconds(6)), (windows.From, windows.To));
        Assert.Equal(1, windows.IndexOf(T0.AddSeconds(5.999)));
        Assert.Null(windows.IndexOf(T0.AddSeconds(6)));
    }

    [Fact]
    public void Rates_CreditEachIncreaseToTheWindowOfTheLaterExport_PerSecond()
    {
        var points = new[]
        {
            Counter("c", 100, -1),
            Counter("c", 104, 1),
            Counter("c", 110, 3),
            Counter("c", 110, 5),
            Counter("c", 1, 1, method: "STORE"),
            Counter("c", 3, 7, method: "STORE"),
        };

        var rates = MetricSeries.Rates(points, MetricSeries.ByAttribute("rpc.method"), FourWindows);

        Assert.Equal(["PING", "STORE"], rates.Select(r => r.Name));
        Assert.Equal([2.0, 3.0, 0.0, 0.0], rates[0].Values);
        Assert.Equal([0.0, 0.0, 0.0, 1.0], rates[1].Values);
    }

    [Fact]
    public void Rates_SumNodes_AndCountATotalThatDropsAsARestart()
    {
        var points = new[]
        {
            Counter("c", 50, -1, node: "node-0"),
            Counter("c", 60, 1, node: "node-0"),
            Counter("c", 4, 3, node: "node-0"),
            Counter("c", 10, -1, node: "node-1"),
            Counter("c", 14, 1, node: "node-1"),
        };

        var rates = MetricSeries.Rates(points, _ => "all", FourWindows);

        Assert.Equal([7.0, 2.0, 0.0, 0.0], Assert.Single(rates).Values);
    }

    [Fact]
    public void Rates_CountTheFirstExportWhole_OnlyWhenTheSeriesStartedInsideTheChart()
    {
        var points = new[] { Counter("c", 8, 1, startSeconds: 0.5), Counter("c", 1000, 3, node: "node-1") };

        var rates = MetricSeries.Rates(points, p => p.Service.ServiceName, FourWindows);

        Assert.Equal("node-0", Assert.Single(rates).Name);
        Assert.Equal([4.0, 0.0, 0.0, 0.0], rates[0].Values);
    }

    [Fact]
    public void HistogramMeans_DivideTheSumIncreaseByTheCountIncrease_AndLeaveEmptyWindowsNull()
    {
        var points = new[]
        {
            Histogram("h", 10, 1.0, -1),
            Histogram("h", 12, 1.5, 1),
            Histogram("h", 12, 1.5, 3),
            Histogram("h", 3, 0.9, 1, node: "node-1"),
            Histogram("h", 1, 0.1, -1, node: "node-1"),
        };

        var means = MetricSeries.HistogramMeans(points, MetricSeries.ByAttribute("liaa.lookup.kind"), FourWindows, scale: 1000);

        Assert.Equal([325.0, null, null, null], Assert.Single(means).Values);
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Liaa.Node.Telemetry;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Observability;

/// <summary>
/// Nodes made without a meter factory (embedded in one process) stay visible to an OpenTelemetry meter provider while
/// other such nodes come and go: the SDK stops exporting an instrument of every meter of a name once one meter of that
/// name is disposed (open-telemetry/opentelemetry-dotnet#6412), so no node disposes the meter it reports on.
/// </summary>
[Collection(ProcessWideMetersCollection.Name)]
public sealed class NodeMetricsLifetimeTests
{
    [Fact]
    public void TwoNodesInOneProcess_OneDisposed_TheOthersCountersAreStillExported()
    {
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(LiaaDiagnostics.Name).AddInMemoryExporter(exported).Build();
        var first = new NodeMetrics();
        using var second = new NodeMetrics();
        first.StoreSent("stored", afterReturn: false);
        second.StoreSent("stored", afterReturn: false);
        provider.ForceFlush();

        first.Dispose();
        provider.ForceFlush();
        exported.Clear();
        second.StoreSent("stored", afterReturn: false);
        provider.ForceFlush();

        // Without the fix the shared stream ends with the first meter: nothing more is exported.
        Assert.True(StoresSent(exported) >= 3, $"{StoresSent(exported)} STOREs exported");
    }

    [Fact]
    public void NodesOnOneMeter_ShareItsGauges_WhichObserveOnlyTheNodesNotDisposed()
    {
        // A meter factory of its own, so nothing else in the process reports on this meter.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var first = new NodeMetrics(factory);
        using var second = new NodeMetrics(factory);
        using var notObserving = new NodeMetrics(factory);
        first.Observe(new State(routingTableSize: 7));
        second.Observe(new State(routingTableSize: 11));
        Assert.Equal([7, 11], RoutingContacts(factory));

        first.Dispose();

        Assert.Equal([11], RoutingContacts(factory));
    }

    [Fact]
    public void ANodeMadeAfterAnotherWasDisposed_IsExported()
    {
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(LiaaDiagnostics.Name).AddInMemoryExporter(exported).Build();
        var first = new NodeMetrics();
        first.StoreSent("stored", afterReturn: false);
        provider.ForceFlush();
        first.Dispose();

        using var second = new NodeMetrics();
        second.StoreSent("stored", afterReturn: false);
        exported.Clear();
        provider.ForceFlush();

        Assert.True(StoresSent(exported) >= 2, $"{StoresSent(exported)} STOREs exported");
    }

    // Every liaa.routing.contacts measurement the factory's meter gives when observed now, in order of value.
    private static List<int> RoutingContacts(IMeterFactory factory)
    {
        var values = new List<int>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "liaa.routing.contacts")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => values.Add(value));
        listener.Start();
        listener.RecordObservableInstruments();
        values.Sort();
        return values;
    }

    // The cumulative count of the one stored-STORE series.
    private static long StoresSent(List<Metric> exported)
    {
        var total = 0L;
        foreach (var metric in exported.Where(m => m.Name == "liaa.store.sent"))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                total += point.GetSumLong();
            }
        }

        return total;
    }

    private sealed class State(int routingTableSize) : INodeStateSource
    {
        public int RoutingTableSize => routingTableSize;

        public int ReplacementCacheSize => 0;

        public IReadOnlyList<double> GetBucketFill() => [];

        public StorageGauges GetStorage() => new(0, 0, []);
    }
}

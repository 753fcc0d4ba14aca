using System.Net;
using System.Text;
using Liaa.Node.Bench;
using Liaa.Node.Kademlia;

namespace Liaa.Tests.Bench;

/// <summary>
/// <see cref="GetDatagrams"/>: of a batch of gets' datagrams, <c>bench sim</c>'s missed-get diagnostic keeps those
/// its origin sent or received carrying its key or value, per get and in order, and nothing of the others.
/// </summary>
public sealed class GetDatagramsTests
{
    private static readonly IPEndPoint A = new(IPAddress.Loopback, 1);
    private static readonly IPEndPoint B = new(IPAddress.Loopback, 2);
    private static readonly IPEndPoint C = new(IPAddress.Loopback, 3);
    private static readonly IPEndPoint D = new(IPAddress.Loopback, 4);

    [Fact]
    public void ADatagramItsOriginSentOrGotCarryingAGetsKeyOrValue_IsKeptForThatGet_AndNoOther()
    {
        // "first" is read from A, "second" from C.
        var datagrams = new GetDatagrams(["first", "second"], [A, C]);
        var firstKey = NodeId.FromKey("first").ToByteArray();
        var firstValue = Encoding.UTF8.GetBytes(SimulationBenchmark.ValueOf("first"));
        var secondKey = NodeId.FromKey("second").ToByteArray();
        var secondValue = Encoding.UTF8.GetBytes(SimulationBenchmark.ValueOf("second"));

        datagrams.Record(A, B, [0x01, .. firstKey, 0x02]);
        datagrams.Record(B, C, [0x03, .. secondValue]);
        datagrams.Record(A, B, [.. "unrelated maintenance"u8]);
        datagrams.Record(B, A, [.. firstKey, .. firstValue]);

        // Neither end is the get's origin: another node's traffic, not the get's.
        datagrams.Record(B, D, [.. firstKey]);
        datagrams.Record(A, B, [.. secondKey]);

        Assert.Equal(
            [new GetDatagram(0, A, B, firstKey.Length + 2, HasKey: true, HasValue: false), new GetDatagram(0, B, A, firstKey.Length + firstValue.Length, HasKey: true, HasValue: true)],
            datagrams.Of(0));
        Assert.Equal([new GetDatagram(1, B, C, secondValue.Length + 1, HasKey: false, HasValue: true)], datagrams.Of(1));
    }

    [Fact]
    public void TwoGetsFromOneOrigin_EachKeepsTheDatagramsOfItsOwnKey()
    {
        var datagrams = new GetDatagrams(["first", "second"], [A, A]);
        datagrams.Record(A, B, [.. NodeId.FromKey("second").ToByteArray()]);

        Assert.Empty(datagrams.Of(0));
        Assert.Single(datagrams.Of(1));
    }
}

using System.Net;
using BenchmarkDotNet.Attributes;
using Liaa.Node.Kademlia;

namespace Liaa.Benchmarks;

/// <summary>
/// A full routing table (every bucket holds k = 20 contacts, built by offering it 100,000 random
/// contacts): the k closest to a target, as a lookup starts and as a FIND_NODE is answered (the
/// requester excluded, stale contacts left out), and the update every incoming message makes.
/// </summary>
[MemoryDiagnoser]
public class RoutingTableBenchmarks
{
    private const int Targets = 1024;
    private readonly NodeId[] _targets = new NodeId[Targets];
    private RoutingTable _table = null!;
    private Contact[] _known = [];
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _table = new RoutingTable(NodeId.Random(random), new KademliaOptions());
        for (var i = 0; i < 100_000; i++)
        {
            var endPoint = new IPEndPoint(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 8468);
            _table.Observe(new Contact(NodeId.Random(random), endPoint), _now);
        }

        for (var i = 0; i < Targets; i++)
        {
            _targets[i] = NodeId.Random(random);
        }

        _known = [.. _table.GetAll()];
        Console.WriteLine($"// routing table: {_table.Count} contacts in {_table.BucketCount} buckets");
    }

    [Benchmark]
    public int FindClosest() => _table.FindClosest(NextTarget(), 20).Count;

    /// <summary>As <c>RequestHandler</c> answers a FIND_NODE: without the requester or a node whose id is the target, no stale contacts.</summary>
    [Benchmark]
    public int FindClosestForRequester()
    {
        var target = NextTarget();
        var requester = _known[_next % _known.Length].EndPoint;
        return _table.FindClosest(target, 20, c => c.Id == target || c.EndPoint.Equals(requester), includeStale: false).Count;
    }

    /// <summary>A known contact sent a message: it becomes the most recently seen of its bucket.</summary>
    [Benchmark]
    public int ObserveKnown()
    {
        _now = _now.AddTicks(1);
        return (int)_table.Observe(_known[_next++ % _known.Length], _now).Status;
    }

    private NodeId NextTarget() => _targets[_next++ & (Targets - 1)];
}

using BenchmarkDotNet.Attributes;
using Liaa.Node.Kademlia;

namespace Liaa.Benchmarks;

/// <summary>
/// The XOR metric on 160-bit ids: a distance, the bucket index it implies (the highest differing
/// bit), ordering two candidates by distance to a target, and hashing a key with SHA-1. Each call
/// works through 1,024 pairs so the figures are per operation, not per loop overhead.
/// </summary>
[MemoryDiagnoser]
public class NodeIdBenchmarks
{
    private const int Pairs = 1024;
    private readonly NodeId[] _a = new NodeId[Pairs];
    private readonly NodeId[] _b = new NodeId[Pairs];
    private readonly string[] _keys = new string[Pairs];
    private NodeId _target;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (var i = 0; i < Pairs; i++)
        {
            _a[i] = NodeId.Random(random);
            _b[i] = NodeId.Random(random);
            _keys[i] = $"key-{i}";
        }

        _target = NodeId.Random(random);
    }

    [Benchmark(OperationsPerInvoke = Pairs)]
    public NodeId Distance()
    {
        var sum = NodeId.Zero;
        for (var i = 0; i < Pairs; i++)
        {
            sum = sum ^ _a[i].DistanceTo(_b[i]);
        }

        return sum;
    }

    /// <summary>The bucket a contact falls in relative to the own id: the index of the highest differing bit.</summary>
    [Benchmark(OperationsPerInvoke = Pairs)]
    public int BucketIndex()
    {
        var sum = 0;
        for (var i = 0; i < Pairs; i++)
        {
            sum += (_a[i] ^ _b[i]).HighestBit;
        }

        return sum;
    }

    /// <summary>Which of two candidates is closer to a target (the lookup's sort key).</summary>
    [Benchmark(OperationsPerInvoke = Pairs)]
    public int CompareByDistance()
    {
        var sum = 0;
        for (var i = 0; i < Pairs; i++)
        {
            sum += (_a[i] ^ _target).CompareTo(_b[i] ^ _target);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Pairs)]
    public NodeId FromKey()
    {
        var sum = NodeId.Zero;
        for (var i = 0; i < Pairs; i++)
        {
            sum = sum ^ NodeId.FromKey(_keys[i]);
        }

        return sum;
    }
}

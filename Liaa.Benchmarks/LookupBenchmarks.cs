using System.Net;
using BenchmarkDotNet.Attributes;
using Liaa.Node.Kademlia;

namespace Liaa.Benchmarks;

/// <summary>
/// The lookup state machine (<see cref="Lookup"/>) driven through a synthetic network of 2,000 nodes,
/// each with its own routing table (its 20 nearest neighbours plus 300 random others, as a node that
/// has been around a while knows). Every request is answered at once with the responder's k closest
/// to the target, so the figure is the machine's own cost per lookup (candidates, ordering, α in
/// flight, termination) plus, in <see cref="LookupWithResponders"/>, the responders' table queries.
/// </summary>
[MemoryDiagnoser]
public class LookupBenchmarks
{
    private const int Nodes = 2000;
    private const int Lookups = 256;
    private readonly KademliaOptions _options = new();
    private readonly Dictionary<NodeId, RoutingTable> _tables = [];
    private readonly Dictionary<(NodeId Responder, NodeId Target), IReadOnlyList<Contact>> _answers = [];
    private (NodeId Origin, NodeId Target)[] _lookups = [];
    private int _next;

    [Params(LookupKind.FindNode, LookupKind.FindValue)]
    public LookupKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var contacts = Enumerable.Range(0, Nodes)
            .Select(i => new Contact(NodeId.Random(random), new IPEndPoint(new IPAddress([10, 1, (byte)(i >> 8), (byte)i]), 8468)))
            .ToArray();
        foreach (var contact in contacts)
        {
            var table = new RoutingTable(contact.Id, _options);
            foreach (var neighbour in contacts.OrderBy(c => c.Id ^ contact.Id).Skip(1).Take(20))
            {
                table.Observe(neighbour, now);
            }

            for (var i = 0; i < 300; i++)
            {
                table.Observe(contacts[random.Next(Nodes)], now);
            }

            _tables[contact.Id] = table;
        }

        _lookups = [.. Enumerable.Range(0, Lookups).Select(_ => (contacts[random.Next(Nodes)].Id, NodeId.Random(random)))];

        // Record every answer once, so LookupStateMachine replays them without querying tables.
        foreach (var (origin, target) in _lookups)
        {
            Run(origin, target, Answer);
        }
    }

    /// <summary>The state machine alone: answers replayed from a table recorded in setup.</summary>
    [Benchmark]
    public int LookupStateMachine()
    {
        var (origin, target) = _lookups[_next++ & (Lookups - 1)];
        return Run(origin, target, (responder, t) => _answers[(responder, t)]);
    }

    /// <summary>The state machine and, for each request, the responder's routing-table query.</summary>
    [Benchmark]
    public int LookupWithResponders()
    {
        var (origin, target) = _lookups[_next++ & (Lookups - 1)];
        return Run(origin, target, (responder, t) => _tables[responder].FindClosest(t, _options.K, includeStale: false));
    }

    private IReadOnlyList<Contact> Answer(NodeId responder, NodeId target)
    {
        var answer = _tables[responder].FindClosest(target, _options.K, includeStale: false);
        _answers[(responder, target)] = answer;
        return answer;
    }

    private int Run(NodeId origin, NodeId target, Func<NodeId, NodeId, IReadOnlyList<Contact>> answer)
    {
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var lookup = new Lookup(Kind, origin, target, _tables[origin].FindClosest(target, _options.K, includeStale: false), _options);
        while (true)
        {
            var step = lookup.Next(now);
            if (step.Kind == LookupStepKind.Finished)
            {
                return lookup.GetResult().NodesContacted;
            }

            if (step.Kind == LookupStepKind.Wait)
            {
                // Every request was answered at once, so a wait can only mean nothing is left in flight.
                throw new InvalidOperationException("the lookup waits with nothing in flight");
            }

            foreach (var contact in step.Contacts)
            {
                lookup.OnResponse(contact.Id, answer(contact.Id, target), now);
            }
        }
    }
}

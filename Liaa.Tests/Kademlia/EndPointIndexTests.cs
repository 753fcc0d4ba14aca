using System.Net;
using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class EndPointIndexTests
{
    private static ContactEntry Entry(NodeId id, IPEndPoint endPoint) => new(new Contact(id, endPoint), Start);

    [Fact]
    public void Index_AgreesWithADictionary_OverManyRandomAddsAndRemoves()
    {
        // Few addresses and ports, so endpoints collide often and clusters form, grow and are punched by removals.
        var random = new Random(7);
        var index = new EndPointIndex();
        var model = new Dictionary<IPEndPoint, ContactEntry>();
        for (var step = 0; step < 20_000; step++)
        {
            var endPoint = new IPEndPoint(new IPAddress([10, 0, 0, (byte)random.Next(1, 4)]), 1000 + random.Next(300));
            if (random.Next(3) > 0)
            {
                var entry = Entry(NodeId.Random(random), endPoint);
                index.Set(entry);
                model[endPoint] = entry;
            }
            else
            {
                // Removal only when the id matches: a wrong id leaves the holder in place.
                var id = model.TryGetValue(endPoint, out var held) && random.Next(4) > 0 ? held.Contact.Id : NodeId.Random(random);
                var removed = index.Remove(endPoint, id);
                Assert.Equal(held is not null && held.Contact.Id == id, removed);
                if (removed)
                {
                    model.Remove(endPoint);
                }
            }

            Assert.Equal(model.Count, index.Count);
            if (step % 97 == 0)
            {
                foreach (var (key, expected) in model)
                {
                    Assert.True(index.TryGetValue(new IPEndPoint(key.Address, key.Port), out var found));
                    Assert.Same(expected, found);
                }
            }
        }

        for (var port = 1000; port < 1300; port++)
        {
            for (byte last = 1; last < 4; last++)
            {
                var endPoint = new IPEndPoint(new IPAddress([10, 0, 0, last]), port);
                Assert.Equal(model.TryGetValue(endPoint, out var expected), index.TryGetValue(endPoint, out var found));
                Assert.Same(expected, found);
            }
        }
    }

    [Fact]
    public void Set_ReplacesTheHolderOfTheSameEndPoint()
    {
        var index = new EndPointIndex();
        var endPoint = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 4000);
        var first = Entry(Exact("1", 1), endPoint);
        var second = Entry(Exact("1", 2), new IPEndPoint(IPAddress.Parse("10.0.0.1"), 4000));

        index.Set(first);
        index.Set(second);

        Assert.Equal(1, index.Count);
        Assert.True(index.TryGetValue(endPoint, out var holder));
        Assert.Same(second, holder);
        Assert.False(index.Remove(endPoint, first.Contact.Id));
        Assert.True(index.Remove(endPoint, second.Contact.Id));
        Assert.False(index.TryGetValue(endPoint, out _));
    }
}

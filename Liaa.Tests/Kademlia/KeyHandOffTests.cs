using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class KeyHandOffTests
{
    /// <summary>The rule by its definition, over every node known: the contacts, self and the newcomer.</summary>
    private static bool BruteForce(NodeId self, NodeId newcomer, NodeId key, IEnumerable<Contact> contacts, int k)
    {
        var known = contacts.Select(c => c.Id).Append(self).Append(newcomer).Distinct().OrderBy(id => id ^ key).ToList();
        var newcomerIsAmongKClosest = known.IndexOf(newcomer) < k;
        var selfIsClosestOldNode = known.First(id => id != newcomer) == self;
        return newcomerIsAmongKClosest && selfIsClosestOldNode;
    }

    [Fact]
    public void ShouldHandOff_MatchesDefinition_OnRandomTables()
    {
        var random = new Random(31);
        int yes = 0, no = 0;
        for (var t = 0; t < 40; t++)
        {
            var k = new[] { 1, 3, 5, 20 }[random.Next(4)];
            var table = FindClosestTests.RandomTable(random, random.Next(0, 300), k, 5);
            var contacts = table.GetAll();
            for (var q = 0; q < 100; q++)
            {
                // Keys and newcomers near self make the rule hold often enough to test both outcomes.
                var key = q % 2 == 0 ? NodeId.Random(random) : Near(table.Self, random.Next(1, 10), random);
                var newcomer = (q % 3) switch
                {
                    0 => NodeId.Random(random),
                    1 => Near(key, random.Next(1, 12), random),
                    _ when contacts.Count > 0 => contacts[random.Next(contacts.Count)].Id,
                    _ => NodeId.Random(random),
                };
                if (newcomer == table.Self)
                {
                    continue;
                }

                var expected = BruteForce(table.Self, newcomer, key, contacts, k);

                Assert.Equal(expected, table.ShouldHandOff(newcomer, key));
                Assert.Equal(expected, KeyHandOff.ShouldHandOff(table.Self, newcomer, key, table.FindClosest(key, k + 1), k));
                _ = expected ? yes++ : no++;
            }
        }

        Assert.True(yes > 150 && no > 300, $"both outcomes must be exercised ({yes} yes, {no} no)");
    }

    [Fact]
    public void SelectKeysToHandOff_EqualsPerKeyRule_OnRandomTables()
    {
        var random = new Random(37);
        var selected = 0;
        for (var t = 0; t < 30; t++)
        {
            var table = FindClosestTests.RandomTable(random, random.Next(0, 400), new[] { 1, 4, 20 }[random.Next(3)], 5);
            var contacts = table.GetAll();
            var keys = Enumerable.Range(0, 300)
                .Select(i => i % 2 == 0 ? NodeId.Random(random) : Near(table.Self, random.Next(1, 12), random))
                .ToList();
            foreach (var newcomer in new[] { NodeId.Random(random), Near(table.Self, random.Next(1, 14), random) }
                .Concat(contacts.Take(2).Select(c => c.Id)))
            {
                var actual = table.SelectKeysToHandOff(newcomer, keys);

                Assert.Equal(keys.Where(key => table.ShouldHandOff(newcomer, key)), actual);
                selected += actual.Count;
            }
        }

        Assert.True(selected > 100, $"only {selected} keys selected: the test needs positive cases");
    }

    [Fact]
    public void ShouldHandOff_ComparesKeyAsIs_NotHashedAgain()
    {
        var self = Exact("0000");
        var key = Exact("0001");
        var newcomer = Exact("0001", 1);
        var farther = At(Exact("1"), 1);

        Assert.True(KeyHandOff.ShouldHandOff(self, newcomer, key, [farther], k: 2));

        // A node closer to the key than self hands it over instead of us.
        Assert.False(KeyHandOff.ShouldHandOff(self, newcomer, key, [At(Exact("0001", 2), 2)], k: 2));

        // With k = 1 the newcomer must be the closest of all: it is here, but not when self is closer.
        Assert.True(KeyHandOff.ShouldHandOff(self, newcomer, key, [], k: 1));
        Assert.False(KeyHandOff.ShouldHandOff(Exact("0001", 0), Exact("0000"), key, [], k: 1));
        Assert.False(KeyHandOff.ShouldHandOff(self, self, key, [], k: 20));
    }
}

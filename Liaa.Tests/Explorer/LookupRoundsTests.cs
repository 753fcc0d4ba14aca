using Liaa.Explorer;

namespace Liaa.Tests.Explorer;

public sealed class LookupRoundsTests
{
    private static Id160 Id(int last) => new(last.ToString("x2", System.Globalization.CultureInfo.InvariantCulture).PadLeft(40, '0'));

    [Fact]
    public void Run_AsksAlphaPerRound_FollowsCloserContacts_AndEndsWhenTheKClosestWereAsked()
    {
        // Target 0x01; the start knows 0x80 and 0x40 only; 0x40 knows 0x10; 0x10 knows 0x02 (the closest).
        // With k = 3 the lookup ends once 0x02, 0x10 and 0x40 were asked: 0x80 is not among the k closest.
        var target = Id(0x01);
        var start = Id(0xff);
        var tables = new Dictionary<Id160, IReadOnlyList<Id160>>
        {
            [Id(0x80)] = [start, Id(0x40)],
            [Id(0x40)] = [Id(0x80), Id(0x10)],
            [Id(0x10)] = [Id(0x40), Id(0x02)],
            [Id(0x02)] = [Id(0x10)],
        };

        var rounds = LookupRounds.Run(target, start, [Id(0x80), Id(0x40)], tables, id => "n" + id.Hex[^2..], k: 3, alpha: 1);

        Assert.Equal(["n40", "n10", "n02"], rounds.SelectMany(r => r.Asked).Select(p => p.Node));
        Assert.Equal([true, true, false], rounds.Select(r => r.Improved));
        Assert.Equal("n02", rounds[^1].Closest!.Node);
        Assert.Equal(2, rounds[^1].Closest!.DistanceBits);
        Assert.DoesNotContain(rounds.SelectMany(r => r.Learned), p => p.Id == start.Hex);
    }

    [Fact]
    public void Run_CountsAContactWithoutATableAsFailed_AndGoesOn()
    {
        var target = Id(0x01);
        var start = Id(0xff);
        var tables = new Dictionary<Id160, IReadOnlyList<Id160>> { [Id(0x40)] = [] };

        var rounds = LookupRounds.Run(target, start, [Id(0x03), Id(0x40)], tables, _ => null, k: 20, alpha: 3);

        var asked = Assert.Single(rounds).Asked;
        Assert.Equal([(Id(0x03).Hex, true), (Id(0x40).Hex, false)], asked.Select(p => (p.Id, p.Failed)));
        Assert.Equal(Id(0x40).Hex, rounds[0].Closest!.Id);
    }
}

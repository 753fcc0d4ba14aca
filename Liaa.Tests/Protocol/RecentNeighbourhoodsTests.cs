using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.Protocol;

/// <summary>
/// <see cref="RecentNeighbourhoods"/>: when a recent put lookup covers a key (the key shares three more leading bits with
/// the looked-up one than its k-th nearest node does, and its candidates reach past that node's subtree), for how long,
/// and which of several lookups a put reuses.
/// </summary>
public sealed class RecentNeighbourhoodsTests
{
    private const int K = 2;

    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    // The looked-up key is 0; its 2k candidates share 10, 8 (the k-th), 5 and 3 leading bits with it.
    private static readonly Contact[] Candidates = [At(10, 1), At(8, 2), At(5, 3), At(3, 4)];

    [Theory]
    [InlineData(11, true)]
    [InlineData(40, true)]
    [InlineData(10, false)]
    [InlineData(0, false)]
    public void AKeyIsCovered_OnlyWhenItSharesThreeBitsMoreThanTheKthNearest(int sharedBits, bool covered)
    {
        var recent = new RecentNeighbourhoods(8, K, MaxAge, new FakeTimeProvider());
        recent.Add(default, Candidates);

        Assert.Equal(covered, recent.Covering(Id(sharedBits, 77)) is not null);
    }

    [Fact]
    public void ALookupIsReused_ForTenSecondsOnly()
    {
        var time = new FakeTimeProvider();
        var recent = new RecentNeighbourhoods(8, K, MaxAge, time);
        recent.Add(default, Candidates);

        time.Advance(MaxAge);
        Assert.Equal(Candidates, recent.Covering(Id(20, 5)));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(recent.Covering(Id(20, 5)));
    }

    [Fact]
    public void CandidatesThatDoNotReachPastTheKthNearestsSubtree_CoverNothing()
    {
        var recent = new RecentNeighbourhoods(8, K, MaxAge, new FakeTimeProvider());

        // The farthest candidate shares as many bits as the k-th: the band beyond the k-th was not seen.
        recent.Add(default, [At(10, 1), At(8, 2), At(8, 3), At(8, 4)]);

        Assert.Null(recent.Covering(Id(40, 5)));
    }

    [Fact]
    public void ASmallNetwork_FewerThan2kNodesSeen_CoversEveryKey()
    {
        var recent = new RecentNeighbourhoods(8, K, MaxAge, new FakeTimeProvider());
        Contact[] all = [At(10, 1), At(1, 2), At(0, 3)];
        recent.Add(default, all);

        Assert.Equal(all, recent.Covering(Id(0, 9)));
    }

    [Fact]
    public void OfSeveralCoveringLookups_TheOneWhoseKeyIsNearestIsReused()
    {
        var recent = new RecentNeighbourhoods(8, K, MaxAge, new FakeTimeProvider());
        var near = new[] { At(30, 11), At(28, 12), At(25, 13), At(23, 14) };
        recent.Add(default, Candidates);
        recent.Add(Id(40, 1), near.Select(c => c with { Id = c.Id ^ Id(40, 1) }).ToArray());

        // Shares 40 leading bits with the first key and 45 with the second: both cover it, the second is nearer.
        var key = Id(40, 1) ^ Id(45, 3);
        Assert.Equal(Id(40, 1) ^ Id(30, 11), recent.Covering(key)![0].Id);
        Assert.Equal(Candidates, recent.Covering(Id(41, 3)));
    }

    /// <summary>An id whose first set bit is bit <paramref name="sharedBits"/> (so it shares that many leading bits with 0), plus a low tag.</summary>
    private static NodeId Id(int sharedBits, byte tag)
    {
        var bytes = new byte[20];
        if (sharedBits < 160)
        {
            bytes[sharedBits / 8] |= (byte)(0x80 >> (sharedBits % 8));
        }

        bytes[19] |= tag;
        return NodeId.FromBytes(bytes);
    }

    private static Contact At(int sharedBits, byte tag) => new(Id(sharedBits, tag), new IPEndPoint(IPAddress.Loopback, 9000 + tag));
}

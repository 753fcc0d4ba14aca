using Liaa.Node.Kademlia;

namespace Liaa.Tests.Kademlia;

public sealed class KademliaOptionsTests
{
    [Fact]
    public void Defaults_AreThePapers_AndValid()
    {
        var options = new KademliaOptions();

        Assert.Empty(options.Validate());
        Assert.Equal((20, 3, 5, 20, 3, TimeSpan.FromHours(1)), (options.K, options.Alpha, options.RelaxedSplitDepth, options.EffectiveReplacementCacheSize, options.FailuresBeforeEviction, options.BucketRefreshInterval));
    }

    [Fact]
    public void ReplacementCacheSize_FollowsK_UnlessSet()
    {
        Assert.Equal(8, new KademliaOptions { K = 8 }.EffectiveReplacementCacheSize);
        Assert.Equal(2, new KademliaOptions { K = 8, ReplacementCacheSize = 2 }.EffectiveReplacementCacheSize);
    }

    [Fact]
    public void Validate_ReportsEveryProblem_NamingItsKey()
    {
        var options = new KademliaOptions
        {
            K = 2,
            Alpha = 3,
            RelaxedSplitDepth = 0,
            ReplacementCacheSize = -1,
            FailuresBeforeEviction = 0,
            BucketRefreshInterval = TimeSpan.Zero,
            SlowRequestThreshold = TimeSpan.FromSeconds(-1),
        };

        Assert.Equal(
            [
                "Liaa:Kademlia:Alpha must not exceed K (is 3, K is 2).",
                "Liaa:Kademlia:RelaxedSplitDepth must be between 1 and 20 (is 0).",
                "Liaa:Kademlia:ReplacementCacheSize must not be negative (is -1).",
                "Liaa:Kademlia:FailuresBeforeEviction must be at least 1 (is 0).",
                "Liaa:Kademlia:BucketRefreshInterval must be positive (is 00:00:00).",
                "Liaa:Kademlia:SlowRequestThreshold must be positive when set (is -00:00:01).",
            ],
            options.Validate());
        Assert.Throws<ArgumentException>(() => new RoutingTable(NodeId.Zero, options));
    }
}

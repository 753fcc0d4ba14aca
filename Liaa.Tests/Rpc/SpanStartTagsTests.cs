using Liaa.Node.Rpc;

namespace Liaa.Tests.Rpc;

/// <summary>The pooled list of a span's start tags: each walk of it sees every tag, a walk inside a walk too.</summary>
public sealed class SpanStartTagsTests
{
    [Fact]
    public void AWalkInsideAWalk_SeesEveryTag_AndSoDoesTheOuterOne()
    {
        var tags = SpanStartTags.Rent();
        try
        {
            tags.Add("a", 1);
            tags.Add("b", 2);
            tags.Add("c", 3);

            var pairs = new List<string>();
            foreach (var outer in tags)
            {
                foreach (var inner in tags)
                {
                    pairs.Add(outer.Key + inner.Key);
                }
            }

            Assert.Equal(["aa", "ab", "ac", "ba", "bb", "bc", "ca", "cb", "cc"], pairs);
            Assert.Equal(["a", "b", "c"], tags.Select(t => t.Key));
            Assert.Equal(6, tags.Sum(t => (int)t.Value!));
        }
        finally
        {
            tags.Return();
        }
    }

    [Fact]
    public void AReturnedList_IsRentedAgainEmpty()
    {
        var tags = SpanStartTags.Rent();
        tags.Add("a", 1);
        using (var walk = tags.GetEnumerator())
        {
            Assert.True(walk.MoveNext());
        }

        tags.Return();
        var again = SpanStartTags.Rent();
        try
        {
            Assert.Same(tags, again);
            Assert.Empty(again);
        }
        finally
        {
            again.Return();
        }
    }
}

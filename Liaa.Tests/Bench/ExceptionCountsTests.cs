using Liaa.Node.Bench;

namespace Liaa.Tests.Bench;

/// <summary><c>bench sim --allocations</c>' count of exceptions: bounded however many distinct messages are thrown.</summary>
public sealed class ExceptionCountsTests
{
    [Fact]
    public void PastTheBound_ANewMessageCountsUnderItsTypeAlone_AndAKnownOneUnderItself()
    {
        var counts = new ExceptionCounts();
        for (var i = 0; i < ExceptionCounts.MaxKeys + 500; i++)
        {
            counts.Add("System.TimeoutException", $"no answer from 10.0.{i / 256}.{i % 256}");
        }

        counts.Add("System.TimeoutException", "no answer from 10.0.0.0");
        counts.Add("System.OperationCanceledException", null);

        var top = counts.Top(int.MaxValue);
        Assert.Equal(ExceptionCounts.MaxKeys + 2, top.Count);
        Assert.Equal(("System.TimeoutException: (other messages)", 500L), top[0]);
        Assert.Contains(("System.TimeoutException: no answer from 10.0.0.0", 2L), top);
        Assert.Contains(("System.OperationCanceledException: (other messages)", 1L), top);
    }
}

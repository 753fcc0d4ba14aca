using Liaa.Node.Rpc;

namespace Liaa.Tests.Rpc;

/// <summary>The open-addressed <see cref="RecentSet"/> against the plain model it replaced (a hash set and a queue).</summary>
public sealed class RecentSetTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(7, 4)]
    [InlineData(50, 5)]
    [InlineData(300, 6)]
    public void AnswersAsTheHashSetAndQueueDid_WithCollidingDigests_AndZero(int capacity, int seed)
    {
        var random = new Random(seed);
        var set = new RecentSet(capacity);
        var modelSet = new HashSet<ulong>();
        var model = new Queue<ulong>();

        // Multiples of 64 share their home slot in every table up to 64 slots, and long runs wrap around the table's end.
        ulong Draw() => random.Next(4) switch
        {
            0 => (ulong)random.Next(0, 3 * capacity) * 64,
            1 => ulong.MaxValue - (ulong)random.Next(0, 3),
            _ => (ulong)random.Next(0, 4 * capacity),
        };

        for (var step = 0; step < 20_000; step++)
        {
            var item = Draw();

            // The set stores 0 as 1: the model does the same.
            var stored = item == 0 ? 1 : item;
            var expected = modelSet.Add(stored);
            if (expected)
            {
                model.Enqueue(stored);
                if (model.Count > capacity)
                {
                    modelSet.Remove(model.Dequeue());
                }
            }

            Assert.Equal(expected, set.TryAdd(item));
            var probe = Draw();
            Assert.Equal(modelSet.Contains(probe == 0 ? 1 : probe), set.Contains(probe));
        }

        Assert.All(model, item => Assert.True(set.Contains(item)));
    }

    [Fact]
    public void RemembersNothing_AtCapacityZero_SoEveryDigestIsNew()
    {
        var set = new RecentSet(0);

        Assert.True(set.TryAdd(5));
        Assert.True(set.TryAdd(5));
        Assert.False(set.Contains(5));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(RecentSet.MaxCapacity + 1)]
    public void RefusesACapacity_ItsTableCouldNotHold(int capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentSet(capacity));

    [Fact]
    public void RpcOptions_NameAMemory_ItsSetCouldNotHold()
    {
        var problems = new RpcOptions { CompletedCallMemory = RecentSet.MaxCapacity + 1, RecentRequestMemory = -1 }.Validate();

        Assert.Contains($"CompletedCallMemory must be from 0 to {RecentSet.MaxCapacity} (is {RecentSet.MaxCapacity + 1}).", problems);
        Assert.Contains($"RecentRequestMemory must be from 0 to {RecentSet.MaxCapacity} (is -1).", problems);
    }
}

using Liaa.Node.Kademlia;
using Liaa.Tests.Storage;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class LookupTests
{
    private static readonly NodeId Self = Exact("1");
    private static readonly NodeId Target = NodeId.Zero;

    // With the target at zero, a node's distance is its id: C(1) is the closest, C(2) the next, and so on.
    private static Contact C(uint n) => At(Exact("", n), 30000 + (int)n);

    private static KademliaOptions Options(int k = 5, int alpha = 3, TimeSpan? slow = null) =>
        new() { K = k, Alpha = alpha, SlowRequestThreshold = slow };

    private static Lookup NewLookup(LookupKind kind, KademliaOptions options, params uint[] initial) =>
        new(kind, Self, Target, initial.Select(C), options);

    [Fact]
    public void Next_SendsAlphaClosest_ThenWaits()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(), 6, 3, 1, 5, 2, 4);

        var first = lookup.Next(Start);

        Assert.Equal(LookupStepKind.Send, first.Kind);
        Assert.Equal([C(1), C(2), C(3)], first.Contacts);
        Assert.Equal(LookupStep.Wait(null), lookup.Next(Start));
        Assert.Equal(3, lookup.InFlightCount);
    }

    [Fact]
    public void Next_SendsNextCandidateAtOnce_WhileSilentNodeHoldsOnlyItsOwnSlot()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(), 1, 2, 3, 4, 5, 6);
        lookup.Next(Start);

        // C(1) never answers; the others keep three requests in flight around it.
        lookup.OnResponse(C(2).Id, [], Start.AddMilliseconds(10));
        AssertSend(lookup.Next(Start.AddMilliseconds(10)), C(4));
        Assert.Equal(3, lookup.InFlightCount);

        lookup.OnResponse(C(3).Id, [], Start.AddMilliseconds(20));
        AssertSend(lookup.Next(Start.AddMilliseconds(20)), C(5));
        Assert.Equal(3, lookup.InFlightCount);

        // C(6) is sixth with k = 5: not needed while C(1) may still answer.
        lookup.OnResponse(C(4).Id, [], Start.AddMilliseconds(30));
        lookup.OnResponse(C(5).Id, [], Start.AddMilliseconds(30));
        Assert.Equal(LookupStep.Wait(null), lookup.Next(Start.AddMilliseconds(30)));

        lookup.OnFailure(C(1).Id, Start.AddSeconds(5));
        AssertSend(lookup.Next(Start.AddSeconds(5)), C(6));
        lookup.OnResponse(C(6).Id, [], Start.AddSeconds(5));
        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start.AddSeconds(5)).Kind);

        var result = lookup.GetResult();
        Assert.Equal([C(2), C(3), C(4), C(5), C(6)], result.ClosestNodes);
        Assert.Equal(6, result.NodesContacted);
        Assert.Equal(1, result.Timeouts);
        Assert.Equal(1, result.Rounds);
        Assert.Equal(Start, result.StartedAt);
        Assert.Equal(Start.AddSeconds(5), result.FinishedAt);
    }

    [Fact]
    public void Next_FreesSlotOfSlowRequest_AndStillTakesItsLateAnswer()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(k: 5, slow: TimeSpan.FromSeconds(1)), 1, 2, 3, 4, 5, 6);
        Assert.Equal(Start.AddSeconds(1), lookup.Next(Start).WakeAt);
        Assert.Equal(LookupStep.Wait(Start.AddSeconds(1)), lookup.Next(Start.AddMilliseconds(500)));

        var afterSlow = lookup.Next(Start.AddSeconds(1));

        AssertSend(afterSlow, C(4), C(5));
        Assert.Equal(Start.AddSeconds(2), afterSlow.WakeAt);
        Assert.Equal(5, lookup.InFlightCount);
        Assert.Equal(LookupStep.Wait(Start.AddSeconds(2)), lookup.Next(Start.AddSeconds(1)));

        lookup.OnResponse(C(1).Id, [C(7)], Start.AddSeconds(1.5));
        foreach (var n in new uint[] { 2, 3, 4, 5 })
        {
            lookup.OnResponse(C(n).Id, [], Start.AddSeconds(1.6));
        }

        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start.AddSeconds(1.6)).Kind);
        Assert.Equal([C(1), C(2), C(3), C(4), C(5)], lookup.GetResult().ClosestNodes);
    }

    [Fact]
    public void FinalStep_AsksAllRemainingKClosestAtOnce_AfterRoundBringsNothingCloser()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(k: 8), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        AssertSend(lookup.Next(Start), C(1), C(2), C(3));
        foreach (var n in new uint[] { 1, 2, 3 })
        {
            lookup.OnResponse(C(n).Id, [C(9)], Start.AddMilliseconds(1));
        }

        Assert.True(lookup.IsFinalStep);
        AssertSend(lookup.Next(Start.AddMilliseconds(1)), C(4), C(5), C(6), C(7), C(8));
        Assert.Equal(5, lookup.InFlightCount);
        foreach (var n in new uint[] { 4, 5, 6, 7, 8 })
        {
            lookup.OnResponse(C(n).Id, [], Start.AddMilliseconds(2));
        }

        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start.AddMilliseconds(2)).Kind);
        var result = lookup.GetResult();
        Assert.Equal([C(1), C(2), C(3), C(4), C(5), C(6), C(7), C(8)], result.ClosestNodes);
        Assert.Equal(8, result.NodesContacted);
    }

    [Fact]
    public void FinalStep_WaitsForRoundWithoutProgress_AndCanBeTurnedOff()
    {
        // C(2) names a closer node: that round made progress, so the lookup stays at α in flight.
        var lookup = NewLookup(LookupKind.FindNode, Options(k: 8), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        AssertSend(lookup.Next(Start), C(2), C(3), C(4));
        lookup.OnResponse(C(2).Id, [C(1)], Start);
        lookup.OnResponse(C(3).Id, [], Start);
        lookup.OnResponse(C(4).Id, [], Start);
        Assert.False(lookup.IsFinalStep);
        AssertSend(lookup.Next(Start), C(1), C(5), C(6));

        // Three failures in a row bring nothing closer either.
        foreach (var n in new uint[] { 1, 5, 6 })
        {
            lookup.OnFailure(C(n).Id, Start.AddSeconds(1));
        }

        Assert.True(lookup.IsFinalStep);
        AssertSend(lookup.Next(Start.AddSeconds(1)), C(7), C(8), C(9), C(10), C(11));

        var plain = NewLookup(LookupKind.FindNode, new KademliaOptions { K = 8, Alpha = 3, SlowRequestThreshold = null, FinalStepAtOnce = false }, 1, 2, 3, 4, 5, 6, 7, 8);
        plain.Next(Start);
        foreach (var n in new uint[] { 1, 2, 3 })
        {
            plain.OnResponse(C(n).Id, [], Start);
        }

        Assert.False(plain.IsFinalStep);
        AssertSend(plain.Next(Start), C(4), C(5), C(6));
    }

    [Fact]
    public void EndsAtConvergence_FinishesOnceRoundBringsNothingCloser_WithoutWaitingForTheKClosest()
    {
        Lookup Run(bool endsAtConvergence)
        {
            var lookup = new Lookup(LookupKind.FindNode, Self, Target, new uint[] { 2, 3, 4, 9 }.Select(C), Options(k: 8)) { EndsAtConvergence = endsAtConvergence };
            AssertSend(lookup.Next(Start), C(2), C(3), C(4));

            // C(2) names a closer node: progress. C(3) and C(4), asked before C(1) was known, answer nothing closer.
            lookup.OnResponse(C(2).Id, [C(1), C(5), C(6), C(7), C(8)], Start);
            AssertSend(lookup.Next(Start), C(1));
            lookup.OnResponse(C(3).Id, [C(8)], Start.AddMilliseconds(1));
            AssertSend(lookup.Next(Start.AddMilliseconds(1)), C(5));
            lookup.OnResponse(C(4).Id, [], Start.AddMilliseconds(2));
            AssertSend(lookup.Next(Start.AddMilliseconds(2)), C(6));

            // Then the three asked since C(1) was found bring nothing closer, while C(7) and C(8) are still out.
            lookup.OnResponse(C(1).Id, [C(2)], Start.AddMilliseconds(3));
            AssertSend(lookup.Next(Start.AddMilliseconds(3)), C(7));
            lookup.OnResponse(C(5).Id, [], Start.AddMilliseconds(4));
            AssertSend(lookup.Next(Start.AddMilliseconds(4)), C(8));
            lookup.OnResponse(C(6).Id, [], Start.AddMilliseconds(5));
            return lookup;
        }

        var converging = Run(endsAtConvergence: true);
        Assert.Equal(LookupStepKind.Finished, converging.Next(Start.AddMilliseconds(5)).Kind);
        var result = converging.GetResult();
        Assert.Equal([C(1), C(2), C(3), C(4), C(5), C(6)], result.ClosestNodes);
        Assert.Equal([C(1), C(2), C(3), C(4), C(5), C(6), C(7), C(8), C(9)], result.Candidates);

        // The same answers without it: the lookup waits for C(7) and C(8), the rest of the k closest.
        var full = Run(endsAtConvergence: false);
        Assert.Equal(LookupStepKind.Wait, full.Next(Start.AddMilliseconds(5)).Kind);
        Assert.False(full.IsFinished);
        Assert.Equal(full.GetResult().ClosestNodes, full.GetResult().Candidates);
    }

    [Fact]
    public void AnswersToRequestsSentBeforeTheClosestWasFound_DoNotConverge()
    {
        // A put's lookup (ending at convergence) whose first answer names a node far closer than the others asked.
        var lookup = new Lookup(LookupKind.FindNode, Self, Target, new uint[] { 20, 30, 40, 90 }.Select(C), Options(k: 8)) { EndsAtConvergence = true };
        AssertSend(lookup.Next(Start), C(20), C(30), C(40));
        lookup.OnResponse(C(20).Id, [C(1), C(5), C(6), C(7)], Start);
        AssertSend(lookup.Next(Start), C(1));

        // C(30) and C(40) were asked before C(1) was known: their answers, bringing nothing closer, and C(1)'s failure
        // are three in a row without progress, but only the failure is a request sent knowing the closest.
        lookup.OnResponse(C(30).Id, [C(90)], Start.AddMilliseconds(1));
        AssertSend(lookup.Next(Start.AddMilliseconds(1)), C(5));
        lookup.OnResponse(C(40).Id, [], Start.AddMilliseconds(2));
        AssertSend(lookup.Next(Start.AddMilliseconds(2)), C(6));
        lookup.OnFailure(C(1).Id, Start.AddMilliseconds(3));

        // Not converged: the neighbourhood of the closest is still being asked.
        AssertSend(lookup.Next(Start.AddMilliseconds(3)), C(7));
        Assert.False(lookup.IsFinished);

        // Two more answers from there without anything closer make three since the closest was found: converged.
        lookup.OnResponse(C(5).Id, [], Start.AddMilliseconds(4));
        Assert.False(lookup.Next(Start.AddMilliseconds(4)).Kind == LookupStepKind.Finished);
        lookup.OnResponse(C(6).Id, [], Start.AddMilliseconds(5));
        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start.AddMilliseconds(5)).Kind);
        Assert.Equal([C(5), C(6), C(7), C(20), C(30), C(40), C(90)], lookup.GetResult().Candidates);
    }

    [Fact]
    public void Lookup_EndsOnlyWhenKClosestSeenHaveAnswered_AndFollowsCloserNodes()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(k: 2, alpha: 1), 40, 50);
        AssertSend(lookup.Next(Start), C(40));

        // C(40) knows closer nodes, self (never a candidate) and the target itself (a normal candidate).
        lookup.OnResponse(C(40).Id, [C(9), At(Self, 1), At(Target, 2), C(50)], Start.AddSeconds(1));
        AssertSend(lookup.Next(Start.AddSeconds(1)), At(Target, 2));
        lookup.OnResponse(Target, [], Start.AddSeconds(2));
        AssertSend(lookup.Next(Start.AddSeconds(2)), C(9));
        lookup.OnResponse(C(9).Id, [C(40)], Start.AddSeconds(3));

        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start.AddSeconds(3)).Kind);
        var result = lookup.GetResult();
        Assert.Equal([At(Target, 2), C(9)], result.ClosestNodes);
        Assert.Equal(3, result.NodesContacted);
        Assert.Equal(2, result.Rounds);
        Assert.Equal(
            [new LookupProgress(Start, C(40).Id, 0), new LookupProgress(Start.AddSeconds(1), NodeId.Zero, 1)],
            result.Progress);
    }

    [Fact]
    public void Rounds_CountHopDepth_TakingShortestPathToEachContact()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(k: 3, alpha: 1), 100);
        lookup.Next(Start);
        lookup.OnResponse(C(100).Id, [C(50)], Start);
        AssertSend(lookup.Next(Start), C(50));
        lookup.OnResponse(C(50).Id, [C(20)], Start);
        AssertSend(lookup.Next(Start), C(20));
        lookup.OnResponse(C(20).Id, [], Start);

        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start).Kind);
        Assert.Equal(3, lookup.GetResult().Rounds);

        // C(20) learnt at depth 3 and again from a depth-1 answer: it is a depth-2 contact.
        var shortcut = NewLookup(LookupKind.FindNode, Options(k: 3, alpha: 2), 100, 90);
        shortcut.Next(Start);
        shortcut.OnResponse(C(100).Id, [C(50)], Start);
        AssertSend(shortcut.Next(Start), C(50));
        shortcut.OnResponse(C(50).Id, [C(20)], Start);
        shortcut.OnResponse(C(90).Id, [C(20)], Start);
        AssertSend(shortcut.Next(Start), C(20));
        shortcut.OnResponse(C(20).Id, [], Start);
        Assert.Equal(LookupStepKind.Finished, shortcut.Next(Start).Kind);
        Assert.Equal(2, shortcut.GetResult().Rounds);
    }

    [Fact]
    public void Lookup_IgnoresUnexpectedLateAndDuplicateAnswers_AndDedupesCandidates()
    {
        var lookup = NewLookup(LookupKind.FindNode, Options(k: 3, alpha: 3), 1, 1, 2);
        AssertSend(lookup.Next(Start), C(1), C(2));

        lookup.OnResponse(C(9).Id, [C(3)], Start);
        lookup.OnResponse(C(1).Id, [C(2), C(2)], Start);
        lookup.OnResponse(C(1).Id, [C(3)], Start);
        lookup.OnFailure(C(2).Id, Start);
        lookup.OnResponse(C(2).Id, [C(3)], Start);
        lookup.OnValue(C(1), TestValues.Bytes(1), null, Start);

        var result = lookup.GetResult();
        Assert.Equal(4, result.IgnoredResponses);
        Assert.Equal([C(1)], result.ClosestNodes);
        Assert.Equal(1, result.Timeouts);
        Assert.Equal(LookupStepKind.Finished, lookup.Next(Start).Kind);
    }

    [Fact]
    public void Lookup_FinishesAtOnce_WithNoCandidates()
    {
        var lookup = new Lookup(LookupKind.FindValue, Self, Target, [At(Self, 5)], Options());

        Assert.Equal(LookupStep.Finished, lookup.Next(Start));
        var result = lookup.GetResult();
        Assert.Empty(result.ClosestNodes);
        Assert.Null(result.Value);
        Assert.Empty(result.Progress);
    }

    [Fact]
    public void FindValue_StopsSendingAtFirstValue_WaitsForInFlight_AndTakesMajority()
    {
        var a = TestValues.Bytes(0xA);
        var b = TestValues.Bytes(0xB);
        var options = Options(k: 5, alpha: 3);
        options.FindValueEndsAtFirstValue = false;
        var lookup = NewLookup(LookupKind.FindValue, options, 1, 2, 3, 4, 5);
        lookup.Next(Start);

        lookup.OnValue(C(2), b, Start.AddHours(1), Start);
        Assert.Equal(LookupStep.Wait(null), lookup.Next(Start));
        lookup.OnValue(C(1), a, null, Start);
        Assert.Equal(LookupStep.Wait(null), lookup.Next(Start));
        lookup.OnValue(C(3), a, Start, Start);

        Assert.Equal(LookupStep.Finished, lookup.Next(Start));
        var result = lookup.GetResult();
        Assert.Equal(a, result.Value);
        Assert.Equal(Start, result.PublishedAt);
        Assert.Equal([C(1), C(3)], result.ValueHolders);
        Assert.Equal([C(2)], result.OtherValueHolders);
        Assert.Equal(2, result.DistinctValues);
        Assert.Equal(3, result.NodesContacted);
        Assert.Null(result.CacheCandidate);
    }

    [Fact]
    public void FindValue_EndsAtFirstValue_WithoutWaitingForInFlight_NamingWhereToCache()
    {
        var a = TestValues.Bytes(0xA);
        var lookup = NewLookup(LookupKind.FindValue, Options(k: 5, alpha: 3), 1, 2, 3, 4, 5);
        AssertSend(lookup.Next(Start), C(1), C(2), C(3));

        lookup.OnResponse(C(1).Id, [], Start.AddMilliseconds(1));
        AssertSend(lookup.Next(Start.AddMilliseconds(1)), C(4));
        lookup.OnValue(C(2), a, Start, Start.AddMilliseconds(2));

        // C(3) and C(4) are still out: the lookup ends anyway, its first value the result.
        Assert.Equal(2, lookup.InFlightCount);
        Assert.Equal(LookupStep.Finished, lookup.Next(Start.AddMilliseconds(2)));
        var result = lookup.GetResult();
        Assert.Equal(a, result.Value);
        Assert.Equal([C(2)], result.ValueHolders);
        Assert.Equal(C(1), result.CacheCandidate);
        Assert.Equal(Start.AddMilliseconds(2), result.FirstValueAt);
        Assert.Equal(Start.AddMilliseconds(2), result.FinishedAt);
    }

    [Fact]
    public void FindValue_BreaksTies_ByNewestPublication_ThenFirstSeen()
    {
        var a = TestValues.Bytes(0xA);
        var b = TestValues.Bytes(0xB);

        var newest = NewLookup(LookupKind.FindValue, Options(k: 5, alpha: 2), 1, 2);
        newest.Next(Start);
        newest.OnValue(C(1), a, Start, Start);
        newest.OnValue(C(2), b, Start.AddMinutes(1), Start);
        Assert.Equal(b, newest.GetResult().Value);

        var firstSeen = NewLookup(LookupKind.FindValue, Options(k: 5, alpha: 2), 1, 2);
        firstSeen.Next(Start);
        firstSeen.OnValue(C(2), b, null, Start);
        firstSeen.OnValue(C(1), a, null, Start);
        Assert.Equal(b, firstSeen.GetResult().Value);
    }

    [Fact]
    public void FindValue_NamesClosestNodeWithoutValue_ForCaching()
    {
        var lookup = NewLookup(LookupKind.FindValue, Options(k: 5, alpha: 3), 1, 2, 3, 4);
        lookup.Next(Start);
        lookup.OnValue(C(1), TestValues.Bytes(1), null, Start);
        lookup.OnValue(C(2), TestValues.Bytes(1), null, Start);
        lookup.OnResponse(C(3).Id, [], Start);

        Assert.Equal(LookupStep.Finished, lookup.Next(Start));
        var result = lookup.GetResult();
        Assert.Equal(C(3), result.CacheCandidate);
        Assert.Equal(1, result.CacheCandidateNodesBetween);
        Assert.Equal([C(1), C(2), C(3)], result.ClosestNodes);
    }

    [Fact]
    public void FindValue_EndsLikeFindNode_WhenNoNodeHasTheValue()
    {
        var lookup = NewLookup(LookupKind.FindValue, Options(k: 2, alpha: 2), 1, 2, 3);
        lookup.Next(Start);
        lookup.OnResponse(C(1).Id, [], Start);
        lookup.OnResponse(C(2).Id, [], Start);

        Assert.Equal(LookupStep.Finished, lookup.Next(Start));
        var result = lookup.GetResult();
        Assert.Null(result.Value);
        Assert.Null(result.CacheCandidate);
        Assert.Empty(result.ValueHolders);
        Assert.Equal([C(1), C(2)], result.ClosestNodes);
    }

    [Theory]
    [InlineData(0, 24 * 60)]
    [InlineData(1, 12 * 60)]
    [InlineData(3, 3 * 60)]
    [InlineData(10, 1)]
    [InlineData(40, 1)]
    [InlineData(-2, 24 * 60)]
    public void CacheTtl_HalvesPerNodeBetween_DownToFloor(int nodesBetween, int expectedMinutes)
    {
        var ttl = Lookup.CacheTtl(TimeSpan.FromHours(24), nodesBetween);

        // 24 h >> 10 is 84.375 s: above the one-minute floor.
        var expected = nodesBetween == 10 ? TimeSpan.FromSeconds(84.375) : TimeSpan.FromMinutes(expectedMinutes);
        Assert.Equal(expected, ttl);
    }

    [Fact]
    public void CacheTtl_NeverExceedsBase_NorFallsBelowExplicitFloor()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Lookup.CacheTtl(TimeSpan.FromSeconds(30), 8));
        Assert.Equal(TimeSpan.FromMinutes(10), Lookup.CacheTtl(TimeSpan.FromHours(1), 6, TimeSpan.FromMinutes(10)));
        Assert.Equal(TimeSpan.Zero, Lookup.CacheTtl(TimeSpan.FromSeconds(-1), 0));
    }

    private static void AssertSend(LookupStep step, params Contact[] expected)
    {
        Assert.Equal(LookupStepKind.Send, step.Kind);
        Assert.Equal(expected, step.Contacts);
    }
}

using System.IO.Pipes;
using Liaa.Node.Hosting;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Liaa.Tests.AppHost;

public sealed class ParentWatcherTests
{
    [Fact]
    public async Task ParentGone_Completes_WhenStandardInputReachesEndOfFile()
    {
        using var parentEnd = new AnonymousPipeServerStream(PipeDirection.Out);
        using var childEnd = new AnonymousPipeClientStream(PipeDirection.In, parentEnd.ClientSafePipeHandle);
        using var watcher = ParentWatcher.Start(1, childEnd, _ => true, new FakeTimeProvider());
        parentEnd.Write([1, 2, 3]);
        parentEnd.Flush();
        Assert.False(watcher.ParentGone.IsCompleted);

        parentEnd.Dispose();
        var reason = await watcher.ParentGone.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal("standard input closed (the AppHost stopped this node, or is gone)", reason);
    }

    [Fact]
    public async Task ParentGone_Completes_AtTheFirstPollAfterTheParentPidDisappears()
    {
        var time = new FakeTimeProvider();
        var parentAlive = true;
        using var watcher = ParentWatcher.Start(4242, input: null, pid => pid == 4242 && parentAlive, time);

        time.Advance(ParentWatcher.PollInterval);
        Assert.False(watcher.ParentGone.IsCompleted);
        parentAlive = false;
        time.Advance(ParentWatcher.PollInterval - TimeSpan.FromTicks(1));
        Assert.False(watcher.ParentGone.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        var reason = await watcher.ParentGone.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal("parent process 4242 has exited", reason);
    }

    [Fact]
    public void ParentProbe_SeesLiveProcessesAlive_AndAnUnknownPidGone()
    {
        var parent = ProcessTable.ParentOf(Environment.ProcessId)!.Value;
        var self = Environment.ProcessId;

        Assert.True(ParentWatcher.CreateParentProbe(parent)(parent));
        Assert.True(ParentWatcher.CreateParentProbe(self)(self));
        Assert.False(ParentWatcher.CreateParentProbe(int.MaxValue - 1)(int.MaxValue - 1));
    }

    [Fact]
    public void StartIfRequested_DoesNothing_WithoutTheVariable()
    {
        Assert.Null(Environment.GetEnvironmentVariable(ParentWatcher.ParentPidVariable));

        Assert.Null(ParentWatcher.StartIfRequested());
    }
}

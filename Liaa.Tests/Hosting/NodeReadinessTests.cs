using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Liaa.Node.Kademlia;
using Liaa.Node;
using Liaa.Node.Hosting;
using Liaa.Node.Rpc;
using Liaa.Node.Telemetry;
using Liaa.Node.Wire;
using Liaa.Tests.Faults;
using Liaa.Tests.ServiceDefaults;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Liaa.Tests.Hosting;

public sealed partial class NodeReadinessTests
{
    private static readonly NodeReadiness.Facts Ready = new(IsReceiving: true, StorageFailure: null, DataDirectory: null, Seeds: 1, IsJoined: true, Contacts: 3);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public void Check_IsHealthy_WhenReceivingJoinedAndKnowingPeers()
    {
        var result = NodeReadiness.Check(Ready);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("Joined; 3 contacts.", result.Description);
    }

    [Fact]
    public void Check_IsHealthy_WithAnEmptyRoutingTable_WhenStartedWithoutSeeds()
    {
        Assert.Equal(HealthStatus.Healthy, NodeReadiness.Check(Ready with { Seeds = 0, Contacts = 0 }).Status);
    }

    [Fact]
    public void Check_IsUnhealthy_NamingTheSocket_WhenNothingIsReceived()
    {
        var result = NodeReadiness.Check(Ready with { IsReceiving = false });

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("The UDP socket is closed: no datagram reaches the node.", result.Description);
    }

    [Fact]
    public void Check_IsUnhealthy_NamingTheValueLogAndItsError_WhenStorageFailed()
    {
        var result = NodeReadiness.Check(Ready with { StorageFailure = new IOException("No space left on device"), DataDirectory = "/var/lib/liaa" });

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(
            "The value log in /var/lib/liaa cannot be written (No space left on device); puts are refused until the node restarts on a working disk.",
            result.Description);
    }

    [Fact]
    public void Check_IsUnhealthy_NotJoined_WhileNoSeedHasAnswered()
    {
        var result = NodeReadiness.Check(Ready with { Seeds = 2, IsJoined = false, Contacts = 0 });

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("Not joined: none of the 2 seeds has answered yet.", result.Description);
    }

    [Fact]
    public void Check_IsUnhealthy_NoPeer_WhenTheSeedsAnsweredButTheRoutingTableIsEmpty()
    {
        var result = NodeReadiness.Check(Ready with { Contacts = 0 });

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("No peer: the routing table is empty although a seed answered.", result.Description);
    }

    [Fact]
    public void Check_NamesEveryProblem_WhenThereAreSeveral()
    {
        var result = NodeReadiness.Check(Ready with { IsReceiving = false, IsJoined = false });

        Assert.Equal(
            "The UDP socket is closed: no datagram reaches the node. Not joined: none of the 1 seeds has answered yet.",
            result.Description);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task NodeHost_TurnsUnhealthy_WhenItsUdpSocketIsClosedUnderIt()
    {
        await using var socket = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var host = new NodeHost(new LiaaNodeOptions { Transport = socket }, new NodeMetrics(), NullLoggerFactory.Instance);
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var before = await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

            await socket.DisposeAsync();
            await host.Node.ReceiveCompletion.WaitAsync(Bound, TestContext.Current.CancellationToken);
            var after = await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

            Assert.Equal(HealthStatus.Healthy, before.Status);
            Assert.Equal(HealthStatus.Unhealthy, after.Status);
            Assert.Equal("The UDP socket is closed: no datagram reaches the node.", after.Description);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Health_Answers503WithTheReason_WhileASeedIsSilent()
    {
        // A socket that receives and never answers: the node's join keeps waiting for it.
        using var silentSeed = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var node = await LiveNode.StartAsync(null, "--seed", silentSeed.Client.LocalEndPoint!.ToString()!);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var health = await http.GetAsync(new Uri(node.HttpUrl, "/health"), TestContext.Current.CancellationToken);
        using var alive = await http.GetAsync(new Uri(node.HttpUrl, "/alive"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(
            "Unhealthy\nkademlia: Unhealthy: Not joined: none of the 1 seeds has answered yet.",
            await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        // A node that has not joined yet says so once, at Information, not with an error line per health request.
        await node.Process.WaitForLineAsync(NotReadyYetLine(), Bound);
        using var again = await http.GetAsync(new Uri(node.HttpUrl, "/health"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        Assert.DoesNotContain(node.Process.Output, line => line.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Single(node.Process.Output, line => NotReadyYetLine().IsMatch(line));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task NodeHost_LogsNotReadyYet_AtInformation_OncePerChange_WhileNotJoined()
    {
        using var silentSeed = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var socket = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new LiaaNodeOptions { Transport = socket };
        options.Seeds.Add((IPEndPoint)silentSeed.Client.LocalEndPoint!);
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = new LoggerFactory([logs]);
        var host = new NodeHost(options, new NodeMetrics(), loggerFactory);
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var first = await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
            var second = await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

            Assert.Equal(HealthStatus.Unhealthy, first.Status);
            Assert.Equal(HealthStatus.Unhealthy, second.Status);
            var readiness = Assert.Single(logs.Records, IsReadiness);
            Assert.Equal((LogLevel.Information, "Not ready yet: Not joined: none of the 1 seeds has answered yet."), (readiness.Level, readiness.Message));
            Assert.DoesNotContain(logs.Records, r => r.Level >= LogLevel.Error);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task NodeHost_LogsAnError_OnceWithTheReason_WhenAReadyNodeStopsBeingReady()
    {
        await using var socket = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = new LoggerFactory([logs]);
        var host = new NodeHost(new LiaaNodeOptions { Transport = socket }, new NodeMetrics(), loggerFactory);
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
            await socket.DisposeAsync();
            await host.Node.ReceiveCompletion.WaitAsync(Bound, TestContext.Current.CancellationToken);
            await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
            await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

            Assert.Equal(
                [(LogLevel.Information, "Ready: Joined; 0 contacts."), (LogLevel.Error, "Not ready: The UDP socket is closed: no datagram reaches the node.")],
                logs.Records.Where(IsReadiness).Select(r => (r.Level, r.Message)));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static bool IsReadiness((LogLevel Level, string Message) record) =>
        record.Message.StartsWith("Ready: ", StringComparison.Ordinal) || record.Message.StartsWith("Not ready", StringComparison.Ordinal);

    [GeneratedRegex(@"Not ready yet: Not joined")]
    private static partial Regex NotReadyYetLine();

    /// <summary>Every log record written through it, in order.</summary>
    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _records = new();

        public IReadOnlyList<(LogLevel Level, string Message)> Records => [.. _records];

        public ILogger CreateLogger(string categoryName) => new Recorder(_records);

        public void Dispose()
        {
        }

        private sealed class Recorder(ConcurrentQueue<(LogLevel Level, string Message)> records) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                records.Enqueue((logLevel, formatter(state, exception)));
        }
    }

    /// <summary>
    /// A real full disk: the data directory lives on a 256 KiB tmpfs that a filler file fills up. Needs
    /// permission to mount (root on Linux); skipped otherwise.
    /// </summary>
    [Fact]
    [Trait("Category", "Integration")]
    public async Task NodeHost_TurnsUnhealthy_NamingTheValueLog_WhenTheDiskIsFull()
    {
        using var directory = new TempDirectory();
        await using var disk = await SmallDisk.MountAsync(directory.Path);
        var host = new NodeHost(
            new LiaaNodeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), DataDirectory = Path.Combine(directory.Path, "data") },
            new NodeMetrics(),
            NullLoggerFactory.Instance);
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var before = await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
            disk.Fill();

            // A value record is about 1 KB; the log's last page has room for a few before the disk is asked for more.
            PutResult? refused = null;
            for (var i = 0; i < 16 && refused is null; i++)
            {
                var put = await host.Node.PutAsync("key-" + i, DhtValue.FromBytes(new byte[1000]), TestContext.Current.CancellationToken);
                refused = put.IsStorageFailure ? put : null;
            }

            var after = await host.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

            Assert.Equal(HealthStatus.Healthy, before.Status);
            Assert.NotNull(refused);
            Assert.Equal(HealthStatus.Unhealthy, after.Status);
            Assert.StartsWith($"The value log in {Path.Combine(directory.Path, "data")} cannot be written (", after.Description, StringComparison.Ordinal);
            Assert.Contains("No space left on device", after.Description, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A 256 KiB tmpfs mounted over a directory, unmounted on dispose.</summary>
    private sealed class SmallDisk : IAsyncDisposable
    {
        private const string Mount = "/usr/bin/mount";
        private const string Umount = "/usr/bin/umount";
        private readonly string _path;

        private SmallDisk(string path)
        {
            _path = path;
        }

        public static async Task<SmallDisk> MountAsync(string path)
        {
            Assert.SkipUnless(OperatingSystem.IsLinux() && File.Exists(Mount), "needs Linux and mount");
            var (exitCode, _, error) = await ToolProcess.RunAsync(Mount, ["-t", "tmpfs", "-o", "size=256k", "tmpfs", path], string.Empty, Bound);
            Assert.SkipUnless(exitCode == 0, $"cannot mount a tmpfs here (needs root): {error.Trim()}");
            return new SmallDisk(path);
        }

        /// <summary>Writes a filler file until the disk refuses more.</summary>
        public void Fill()
        {
            // Unbuffered, so the write that fails is the one that throws (and disposing has nothing left to flush).
            using var filler = new FileStream(Path.Combine(_path, "filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            var block = new byte[4096];
            try
            {
                for (var i = 0; i < 1024; i++)
                {
                    filler.Write(block);
                }
            }
            catch (IOException)
            {
                return;
            }

            Assert.Fail("The 256 KiB disk took 4 MiB.");
        }

        public async ValueTask DisposeAsync()
        {
            var (exitCode, _, error) = await ToolProcess.RunAsync(Umount, [_path], string.Empty, Bound);
            Assert.True(exitCode == 0, $"umount {_path}: {error}");
        }
    }
}

using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Storage;
using Liaa.Tests.ServiceDefaults;
using Liaa.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Liaa.Tests.Storage;

public sealed class NodeDataDirectoryTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Open_KeepsTheFirstIdItWasGiven_AcrossOpens()
    {
        var id = NodeId.FromKey("the node");
        using (var first = NodeDataDirectory.Open(_directory.Path, id, NullLogger.Instance))
        {
            Assert.Equal(id, first.NodeId);
        }

        using var second = NodeDataDirectory.Open(_directory.Path, configuredId: null, NullLogger.Instance);

        Assert.Equal(id, second.NodeId);
        Assert.Equal(id, NodeDataDirectory.ReadNodeId(_directory.Path));
    }

    [Fact]
    public void Open_DrawsAndSavesAnId_WhenNoneIsConfiguredOrSaved()
    {
        NodeId drawn;
        using (var first = NodeDataDirectory.Open(_directory.Path, configuredId: null, NullLogger.Instance))
        {
            drawn = first.NodeId;
        }

        Assert.Equal(drawn, NodeDataDirectory.ReadNodeId(_directory.Path));
    }

    [Fact]
    public void Open_Refuses_WhenTheConfiguredIdDiffersFromTheSavedOne()
    {
        using (NodeDataDirectory.Open(_directory.Path, NodeId.FromKey("saved"), NullLogger.Instance))
        {
        }

        var error = Assert.Throws<ArgumentException>(() => NodeDataDirectory.Open(_directory.Path, NodeId.FromKey("other"), NullLogger.Instance));

        Assert.Contains($"belongs to node {NodeId.FromKey("saved")}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Refuses_WhileAnotherNodeHoldsTheDirectory_AndAllowsItAfterwards()
    {
        using (NodeDataDirectory.Open(_directory.Path, null, NullLogger.Instance))
        {
            var error = Assert.Throws<IOException>(() => NodeDataDirectory.Open(_directory.Path, null, NullLogger.Instance));
            Assert.Contains("is in use by another Liaa node", error.Message, StringComparison.Ordinal);
        }

        using var later = NodeDataDirectory.Open(_directory.Path, null, NullLogger.Instance);
        Assert.NotNull(later);
    }

    [Fact]
    public async Task Open_SaysTheDirectoryIsReadOnly_NotThatAnotherNodeHoldsIt()
    {
        // A read-only file system is what stops root too (permissions do not): a tmpfs, filled, then remounted read-only.
        var mountPoint = Directory.CreateDirectory(_directory.File("mounted")).FullName;
        if (await MountAsync("-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint) != 0)
        {
            Assert.Skip("Mounting a file system needs root (CAP_SYS_ADMIN).");
        }

        try
        {
            using (NodeDataDirectory.Open(mountPoint, null, NullLogger.Instance))
            {
            }

            Assert.Equal(0, await MountAsync("-o", "remount,ro", mountPoint));
            var error = Assert.Throws<IOException>(() => NodeDataDirectory.Open(mountPoint, null, NullLogger.Instance));

            Assert.DoesNotContain("in use", error.Message, StringComparison.Ordinal);
            Assert.Contains($"The data directory {mountPoint} cannot be written: it is on a read-only file system", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            _ = await RunAsync("umount", mountPoint);
        }
    }

    private static Task<int> MountAsync(params string[] arguments) => RunAsync("mount", arguments);

    /// <summary>The command's exit code; -1 when it is not installed.</summary>
    private static async Task<int> RunAsync(string command, params string[] arguments)
    {
        try
        {
            return (await ToolProcess.RunAsync(command, arguments, string.Empty, TimeSpan.FromSeconds(20))).ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    [Fact]
    public void SaveContacts_AreRememberedByTheNextOpen_AndUnreadableLinesAreSkipped()
    {
        Contact[] contacts =
        [
            new(NodeId.FromKey("a"), IPEndPoint.Parse("127.0.0.1:4000")),
            new(NodeId.FromKey("b"), IPEndPoint.Parse("[::1]:4001")),
        ];
        using (var first = NodeDataDirectory.Open(_directory.Path, null, NullLogger.Instance))
        {
            Assert.Empty(first.RememberedContacts);
            first.SaveContacts(contacts);
        }

        File.AppendAllText(_directory.File(NodeDataDirectory.ContactsFileName), "garbage line\nabc 1.2.3.4:5\n" + NodeId.FromKey("c") + " 0.0.0.0:9\n");
        using var second = NodeDataDirectory.Open(_directory.Path, null, NullLogger.Instance);

        Assert.Equal(contacts, second.RememberedContacts);
    }

    [Fact]
    public void ReadNodeId_Throws_WhenTheIdFileHoldsSomethingElse()
    {
        File.WriteAllText(_directory.File(NodeDataDirectory.NodeIdFileName), "not an id");

        Assert.Throws<InvalidDataException>(() => NodeDataDirectory.ReadNodeId(_directory.Path));
        Assert.Null(NodeDataDirectory.ReadNodeId(_directory.File("absent")));
    }
}

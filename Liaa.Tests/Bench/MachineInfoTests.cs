using Liaa.Node.Bench;
using Liaa.Tests.TestSupport;

namespace Liaa.Tests.Bench;

/// <summary>
/// <see cref="MachineInfo.ThreadCpu(string, string)"/>: the CPU time of a process's threads by name, read from stat
/// lines laid out as /proc/PID/task; a thread that ends while they are read is skipped.
/// </summary>
public sealed class MachineInfoTests
{
    // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
    private const string TieredStat = "4242 (.NET Tiered Com) S 4200 4200 15828 0 -1 4194368 1250 0 3 0 30 12 0 0 20 0 24 0 2757897 3133440 390";

    [Fact]
    public void AStatLine_GivesTheThreadsName_AndItsUserPlusSystemTicks()
    {
        Assert.Equal((".NET Tiered Com", 42L), MachineInfo.ParseThreadStat(TieredStat));

        // A name may hold spaces and parentheses: it ends at the last ')'.
        Assert.Equal(("a) (b", 7L), MachineInfo.ParseThreadStat("7 (a) (b) R 1 1 1 0 -1 0 0 0 0 0 5 2 0 0 20 0 1 0 1 1 1"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 (.NET Tiered Com")]
    [InlineData("4242 (.NET Tiered Com) S 4200 4200 15828 0 -1 4194368 1250 0 3 0 30")]
    [InlineData("4242 (.NET Tiered Com) S 4200 4200 15828 0 -1 4194368 1250 0 3 0 x 12 0")]
    public void ALineCutShortOrNotAStatLine_GivesNothing(string stat) => Assert.Null(MachineInfo.ParseThreadStat(stat));

    [Fact]
    public void ThreadsOfTheName_AreSummed_AndOneWhoseStatVanishedOrReadsEmpty_IsSkipped()
    {
        using var tasks = new TempDirectory();
        Task("4242", TieredStat);
        Task("4243", "4243 (.NET Tiered Com) S 4200 4200 15828 0 -1 4194368 1250 0 3 0 100 8 0 0 20 0 24 0 2757897 3133440 390");
        Task("4244", "4244 (.NET TP Worker) S 4200 4200 15828 0 -1 4194368 1250 0 3 0 900 900 0 0 20 0 24 0 2757897 3133440 390");

        // Ended between the listing and the read: its directory listed, its stat gone; or read as nothing.
        Directory.CreateDirectory(tasks.File("4245"));
        Task("4246", string.Empty);

        Assert.Equal(1.5, MachineInfo.ThreadCpu(tasks.Path, ".NET Tiered Com")!.Value, precision: 9);

        void Task(string id, string stat)
        {
            Directory.CreateDirectory(tasks.File(id));
            File.WriteAllText(Path.Combine(tasks.File(id), "stat"), stat);
        }
    }

    [Fact]
    public void ALiveProcess_IsReadFromProc()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/proc is Linux's");

        // This process's threads are listed (no thread has the name: zero, not unknown).
        Assert.Equal(0, MachineInfo.ThreadCpu(Environment.ProcessId, "no such thread"));
    }

    [Fact]
    public void AProcessThatIsGone_IsUnknown()
    {
        using var tasks = new TempDirectory();
        Assert.Null(MachineInfo.ThreadCpu(tasks.File("gone"), ".NET Tiered Com"));
    }
}

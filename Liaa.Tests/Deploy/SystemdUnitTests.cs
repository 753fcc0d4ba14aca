using Liaa.Tests.ServiceDefaults;

namespace Liaa.Tests.Deploy;

/// <summary>
/// <c>deploy/systemd/</c>: the unit passes <c>systemd-analyze verify</c>, and the settings it and the example
/// environment file give are ones the node accepts, with its data in the unit's state directory.
/// </summary>
public sealed class SystemdUnitTests
{
    private const string SystemdAnalyze = "/usr/bin/systemd-analyze";
    private const string InstalledBinary = "/opt/liaa-node/Liaa.Node";

    [Fact]
    public async Task Unit_PassesSystemdAnalyzeVerify_WithNothingToSay()
    {
        if (OperatingSystem.IsWindows() || !File.Exists(SystemdAnalyze))
        {
            Assert.Skip($"{SystemdAnalyze} is not installed (Debian package 'systemd').");
        }

        // verify refuses an ExecStart that does not exist: the unit is checked as written, with only the
        // binary's path pointed at an executable stub (the published node is not installed under /opt here).
        var directory = Directory.CreateTempSubdirectory("liaa-systemd-");
        try
        {
            var binary = Path.Combine(directory.FullName, "Liaa.Node");
            await File.WriteAllTextAsync(binary, "#!/bin/sh\n", TestContext.Current.CancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var unitText = await File.ReadAllTextAsync(DeployFiles.SystemdUnit, TestContext.Current.CancellationToken);
            Assert.Contains($"ExecStart={InstalledBinary} serve", unitText, StringComparison.Ordinal);
            var unit = Path.Combine(directory.FullName, "liaa-node.service");
            await File.WriteAllTextAsync(unit, unitText.Replace(InstalledBinary, binary, StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var (exitCode, output, errors) = await ToolProcess.RunAsync(SystemdAnalyze, ["verify", "--man=no", unit], string.Empty, TimeSpan.FromSeconds(60));

            // verify exits 0 even for an unknown key or a value it cannot parse ("..., ignoring"): it must say nothing.
            Assert.True(exitCode == 0 && errors.Trim().Length == 0 && output.Trim().Length == 0, $"systemd-analyze verify: exit {exitCode}\n{output}\n{errors}");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Unit_RestartsOnFailure_KeepsItsDataInItsStateDirectory_AndReadsTheEnvironmentFile()
    {
        var unit = Settings(File.ReadAllLines(DeployFiles.SystemdUnit));
        var environment = unit.Where(s => s.Key == "Environment").Select(s => Split(s.Value)).ToList();
        var settings = DeployFiles.ReadNodeSettings(environment);

        Assert.Empty(settings.Problems);
        Assert.Equal("on-failure", Single(unit, "Restart"));
        Assert.Equal("/etc/liaa/node.env", Single(unit, "EnvironmentFile"));
        Assert.Equal("yes", Single(unit, "DynamicUser"));
        Assert.Equal($"/var/lib/{Single(unit, "StateDirectory")}", settings.Node.DataDirectory);
        Assert.Equal(DeployFiles.DefaultUdpPort, settings.Node.EndPoint.Port);
        Assert.True(System.Net.IPAddress.IsLoopback(settings.Http.Address), "the unit's default keeps the HTTP API on loopback");
        // The JIT writes code it then runs: this option would stop the node at start.
        Assert.DoesNotContain(unit, s => s.Key == "MemoryDenyWriteExecute" && s.Value == "yes");
    }

    [Fact]
    public void EnvironmentExample_OverTheUnitsDefaults_IsAcceptedByTheNode_AndGivesSeveralSeeds()
    {
        var unit = Settings(File.ReadAllLines(DeployFiles.SystemdUnit)).Where(s => s.Key == "Environment").Select(s => Split(s.Value));
        var example = File.ReadAllLines(DeployFiles.EnvironmentExample)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(Split)
            .ToList();

        var settings = DeployFiles.ReadNodeSettings(unit.Concat(example));
        var seeds = DeployFiles.Seeds(example);

        Assert.Empty(settings.Problems);
        Assert.True(seeds.Count >= 2, $"the example gives {seeds.Count} seeds");
        Assert.All(seeds, s => Assert.Equal(DeployFiles.DefaultUdpPort, DeployFiles.SplitHostPort(s).Port));
    }

    private static List<KeyValuePair<string, string>> Settings(IEnumerable<string> lines) =>
        lines.Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('[') && l.Contains('=', StringComparison.Ordinal))
            .Select(Split)
            .ToList();

    private static string Single(List<KeyValuePair<string, string>> settings, string key) => Assert.Single(settings, s => s.Key == key).Value;

    private static KeyValuePair<string, string> Split(string line)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        return new(line[..equals], line[(equals + 1)..]);
    }
}

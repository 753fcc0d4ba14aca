using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Hosting;

namespace Liaa.Tests.Deploy;

/// <summary>
/// <c>deploy/container/Dockerfile</c> and the publish profile it uses: the image's settings are ones the node
/// accepts (given the token it must be given), and its ports, volume, health check and entry point agree
/// with them. The image itself is not built here (no container engine).
/// </summary>
public sealed class ContainerFileTests
{
    private const string ProfileName = "linux-x64";

    private static readonly Lazy<IReadOnlyList<(string Instruction, string Arguments)>> FinalStage = new(() =>
    {
        var instructions = Instructions(File.ReadAllText(DeployFiles.Dockerfile));
        var lastFrom = instructions.FindLastIndex(i => i.Instruction == "FROM");
        return instructions.Skip(lastFrom).ToList();
    });

    [Fact]
    public void ImageSettings_AreAcceptedByTheNode_OnceItIsGivenItsApiToken()
    {
        var environment = Environment();

        var withoutToken = DeployFiles.ReadNodeSettings(environment);
        var withToken = DeployFiles.ReadNodeSettings(environment.Append(new("Liaa__Node__ApiToken", new string('t', 32))));

        // The API listens beyond loopback, so the node refuses to start without a token: the operator passes one.
        Assert.Contains("ApiToken", Assert.Single(withoutToken.Problems), StringComparison.Ordinal);
        Assert.Empty(withToken.Problems);
        Assert.Equal(DeployFiles.DefaultUdpPort, withToken.Node.EndPoint.Port);
    }

    [Fact]
    public void ExposedPorts_Volume_HealthCheck_AndEntryPoint_AgreeWithTheSettings()
    {
        var environment = Environment();
        var settings = DeployFiles.ReadNodeSettings(environment.Append(new("Liaa__Node__ApiToken", new string('t', 32))));
        var udp = settings.Node.EndPoint.Port;
        var http = settings.Http.Port;

        Assert.Equal(
            new[] { $"{udp}/udp", $"{http}/tcp" }.Order(StringComparer.Ordinal),
            Arguments("EXPOSE").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal(settings.Node.DataDirectory, Arguments("VOLUME"));
        var healthCheck = Arguments("HEALTHCHECK");
        Assert.Contains($"/dev/tcp/127.0.0.1/{http} ", healthCheck, StringComparison.Ordinal);
        Assert.Contains($"GET {LiaaServiceDefaultsExtensions.HealthPath} HTTP/1.0", healthCheck, StringComparison.Ordinal);

        var copied = Arguments("COPY").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("--from=build", copied[0]);
        var entryPoint = JsonSerializer.Deserialize<string[]>(Arguments("ENTRYPOINT"))!;
        Assert.Equal([$"{copied[^1]}/Liaa.Node", "serve"], entryPoint);
        Assert.NotEqual("root", Arguments("USER"));
        Assert.NotEqual("0", Arguments("USER"));
    }

    [Fact]
    public void BuildStage_PublishesWithTheProfile_WhichIsSelfContainedReadyToRunForLinuxX64_AndOnlyWhenAskedFor()
    {
        var dockerfile = Instructions(File.ReadAllText(DeployFiles.Dockerfile));
        var profile = XDocument.Load(DeployFiles.PublishProfile).Root!.Elements("PropertyGroup").Elements().ToDictionary(e => e.Name.LocalName, e => e.Value);

        Assert.Contains(dockerfile, i => i.Instruction == "RUN" && i.Arguments.StartsWith("dotnet publish Liaa.Node", StringComparison.Ordinal) && i.Arguments.Contains($"-p:PublishProfile={ProfileName}", StringComparison.Ordinal));
        Assert.Equal("linux-x64", profile["RuntimeIdentifier"]);
        Assert.Equal("true", profile["SelfContained"]);
        Assert.Equal("true", profile["PublishReadyToRun"]);
        Assert.Equal(ProfileName, Path.GetFileNameWithoutExtension(DeployFiles.PublishProfile));
        // Every build is precompiled framework-dependent for the SDK's own runtime (build/ReadyToRun.targets); only the
        // profile makes a self-contained linux-x64 publish.
        foreach (var project in new[] { Path.Combine("Liaa.Node", "Liaa.Node.csproj"), Path.Combine("build", "ReadyToRun.targets"), "Directory.Build.props" })
        {
            Assert.DoesNotContain("<SelfContained>true", File.ReadAllText(Path.Combine(DeployFiles.RepositoryRoot, project)), StringComparison.Ordinal);
        }

        Assert.Contains($"dotnet publish Liaa.Node -c Release -p:PublishProfile={ProfileName}", File.ReadAllText(Path.Combine(DeployFiles.Directory, "README.md")), StringComparison.Ordinal);
    }

    /// <summary>The final stage's <c>ENV</c> pairs (<c>NAME=value</c>, several per instruction).</summary>
    private static List<KeyValuePair<string, string>> Environment() =>
        FinalStage.Value.Where(i => i.Instruction == "ENV")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .Select(pair => new KeyValuePair<string, string>(pair[0], pair[1]))
            .ToList();

    private static string Arguments(string instruction) => Assert.Single(FinalStage.Value, i => i.Instruction == instruction).Arguments;

    /// <summary>Instructions with their continuation lines joined; comments and blank lines dropped.</summary>
    private static List<(string Instruction, string Arguments)> Instructions(string text)
    {
        var joined = text.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n');
        return joined.Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (l.Split(' ', 2)[0].ToUpperInvariant(), l.Split(' ', 2)[1].Trim()))
            .ToList();
    }
}

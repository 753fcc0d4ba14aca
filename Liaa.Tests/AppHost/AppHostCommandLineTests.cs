using System.Text;
using Liaa.AppHost.Orchestration;
using Microsoft.Extensions.Configuration;

namespace Liaa.Tests.AppHost;

public sealed class AppHostCommandLineTests
{
    private static IConfiguration Json(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    private static IConfiguration Empty => new ConfigurationBuilder().Build();

    private static AppHostOptions Resolve(IConfiguration configuration, params string[] args)
    {
        var parse = AppHostCommandLine.CreateRootCommand().Parse(args);
        Assert.Empty(parse.Errors);
        Assert.True(AppHostCommandLine.TryResolve(parse, configuration, out var options, out var problems), string.Join(" ", problems));
        return options!;
    }

    [Fact]
    public void Defaults_AreFiveNodes_SeedOn8468_Dashboard18888_PrometheusWhenInstalled()
    {
        var options = Resolve(Empty);

        Assert.Equal(5, options.Nodes);
        Assert.Equal(8468, options.SeedPort);
        Assert.Equal(18888, options.DashboardPort);
        Assert.Null(options.Prometheus.Enabled);
        Assert.Equal("127.0.0.1:9090", options.Prometheus.ListenAddress);
        Assert.Equal(NodeRestartPolicy.Never, options.RestartPolicy);
    }

    [Fact]
    public void ShippedAppSettings_AreCopiedUnderTheirOwnName_WithTheDocumentedDefaults()
    {
        var path = Path.Combine(AppContext.BaseDirectory, AppHostCommandLine.SettingsFileName);
        var section = new ConfigurationBuilder().AddJsonFile(path).Build().GetSection(AppHostOptions.SectionName);
        var options = Resolve(new ConfigurationBuilder().AddJsonFile(path).Build());

        Assert.Equal(["DashboardPort", "Nodes", "Prometheus", "RestartPolicy", "SeedPort"], section.GetChildren().Select(c => c.Key).Order());
        Assert.Equal(5, options.Nodes);
        Assert.Equal(8468, options.SeedPort);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Prometheus.ScrapeInterval);
    }

    [Fact]
    public void Configuration_SetsNodes_AndCommandLineWins()
    {
        var configuration = Json("""{ "Liaa": { "AppHost": { "Nodes": 12, "SeedPort": 9000, "Prometheus": { "Enabled": false } } } }""");

        var fromConfiguration = Resolve(configuration);
        var fromCommandLine = Resolve(configuration, "--nodes", "20", "--seed-port", "0", "--prometheus", "--dashboard-port", "18999", "--restart-crashed");

        Assert.Equal((12, 9000, false), (fromConfiguration.Nodes, fromConfiguration.SeedPort, fromConfiguration.Prometheus.Enabled));
        Assert.Equal((20, 0, true, 18999), (fromCommandLine.Nodes, fromCommandLine.SeedPort, fromCommandLine.Prometheus.Enabled, fromCommandLine.DashboardPort));
        Assert.Equal(NodeRestartPolicy.OnCrash, fromCommandLine.RestartPolicy);
    }

    [Fact]
    public void EnvironmentStyleKeys_ReachTheSection()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Liaa:AppHost:Nodes"] = "7" })
            .Build();

        Assert.Equal(7, Resolve(configuration).Nodes);
    }

    [Fact]
    public void NoPrometheus_DisablesIt_AndTheClusterOptionsCarryNone()
    {
        var options = Resolve(Empty, "--no-prometheus");

        Assert.False(options.Prometheus.Enabled);
        Assert.Null(options.ToClusterOptions().Prometheus);
    }

    [Fact]
    public void ToClusterOptions_CarriesNodesPortsAndPrometheus()
    {
        var cluster = Resolve(Empty, "--nodes", "3", "--seed-port", "0", "--prometheus").ToClusterOptions();

        Assert.Equal(3, cluster.Nodes);
        Assert.Equal(0, cluster.SeedPort);
        Assert.Equal("127.0.0.1:9090", cluster.Prometheus!.ListenAddress);
        Assert.Equal(TimeSpan.FromSeconds(5), cluster.Prometheus.ScrapeInterval);
    }

    [Fact]
    public void TryResolve_NamesEveryProblemAtOnce()
    {
        var parse = AppHostCommandLine.CreateRootCommand().Parse(["--nodes", "0", "--seed-port", "-1", "--prometheus", "--no-prometheus"]);

        Assert.False(AppHostCommandLine.TryResolve(parse, Json("""{ "Liaa": { "AppHost": { "OtlpProtocol": "udp" } } }"""), out var options, out var problems));

        Assert.Null(options);
        Assert.Equal(
            [
                "--prometheus and --no-prometheus cannot both be given.",
                "Liaa:AppHost:Nodes (--nodes) must be at least 1 (was 0).",
                "Liaa:AppHost:SeedPort (--seed-port) must be 0 or a port up to 65535 (was -1).",
                "Liaa:AppHost:OtlpProtocol must be http/protobuf or grpc (was udp).",
            ],
            problems);
    }
}

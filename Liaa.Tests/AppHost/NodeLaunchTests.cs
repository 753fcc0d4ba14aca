using System.Net;
using Liaa.AppHost.Orchestration;

namespace Liaa.Tests.AppHost;

public sealed class NodeLaunchTests
{
    private sealed class FakeTelemetry(Uri endpoint, string protocol) : IClusterTelemetry
    {
        public Uri Endpoint { get; } = endpoint;

        public string Protocol { get; } = protocol;
    }

    private static Func<string, string?> Inherited(params (string Key, string Value)[] variables) =>
        key => variables.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void BuildArguments_FollowsTheNodeContract_WithEverySeedRepeated()
    {
        var arguments = NodeLaunch.BuildArguments(
            "node-3", "127.0.0.1", 40001, 40002, [IPEndPoint.Parse("127.0.0.1:8468"), IPEndPoint.Parse("127.0.0.1:40010")]);

        Assert.Equal(
            ["serve", "--port", "40001", "--seed", "127.0.0.1:8468", "--seed", "127.0.0.1:40010", "--http", "127.0.0.1:40002", "--name", "node-3"],
            arguments);
    }

    [Fact]
    public void BuildArguments_HasNoSeed_ForTheSeed()
    {
        Assert.Equal(
            ["serve", "--port", "8468", "--http", "127.0.0.1:5000", "--name", "node-0"],
            NodeLaunch.BuildArguments("node-0", "127.0.0.1", 8468, 5000, []));
    }

    [Fact]
    public void BuildEnvironment_NamesTheServiceAndParent_AndPointsOtlpAtTheReceiver()
    {
        var options = new LiaaClusterOptions { Telemetry = new FakeTelemetry(new Uri("http://127.0.0.1:4318/"), "http/protobuf") };

        var environment = NodeLaunch.BuildEnvironment("node-2", options, Inherited(), parentPid: 4242);

        Assert.Equal("4242", environment["LIAA_PARENT_PID"]);
        Assert.Equal("node-2", environment["OTEL_SERVICE_NAME"]);
        Assert.Equal("service.namespace=liaa,service.instance.id=node-2", environment["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal("http://127.0.0.1:4318", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("1000", environment["OTEL_BSP_SCHEDULE_DELAY"]);
        Assert.Equal("1000", environment["OTEL_BLRP_SCHEDULE_DELAY"]);
        Assert.Equal("5000", environment["OTEL_METRIC_EXPORT_INTERVAL"]);
        Assert.Equal("0", environment["DOTNET_gcServer"]);
    }

    [Fact]
    public void BuildEnvironment_UsesOtlpEndpointOption_WhenThereIsNoReceiver()
    {
        var options = new LiaaClusterOptions { OtlpEndpoint = new Uri("http://127.0.0.1:4317"), OtlpProtocol = "grpc" };

        var environment = NodeLaunch.BuildEnvironment("node-0", options, Inherited(), 1);

        Assert.Equal("http://127.0.0.1:4317", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("grpc", environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
    }

    [Fact]
    public void BuildEnvironment_LeavesTheUsersOtlpEndpointAlone_WhenSet()
    {
        var options = new LiaaClusterOptions { OtlpEndpoint = new Uri("http://127.0.0.1:4318") };

        var environment = NodeLaunch.BuildEnvironment("node-1", options, Inherited(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")), 1);

        Assert.False(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.False(environment.ContainsKey("OTEL_EXPORTER_OTLP_PROTOCOL"));
        Assert.False(environment.ContainsKey("OTEL_BSP_SCHEDULE_DELAY"));
        Assert.Equal("node-1", environment["OTEL_SERVICE_NAME"]);
    }

    [Fact]
    public void BuildEnvironment_ExportsNothing_WithoutEndpoint()
    {
        var environment = NodeLaunch.BuildEnvironment("node-1", new LiaaClusterOptions(), Inherited(), 1);

        Assert.False(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }

    [Fact]
    public void BuildEnvironment_KeepsUserResourceAttributes_ButOwnsInstanceId()
    {
        var environment = NodeLaunch.BuildEnvironment(
            "node-4", new LiaaClusterOptions(), Inherited(("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=dev, service.instance.id=mine")), 1);

        Assert.Equal("deployment.environment=dev,service.namespace=liaa,service.instance.id=node-4", environment["OTEL_RESOURCE_ATTRIBUTES"]);
    }

    [Fact]
    public void BuildEnvironment_RemovesInheritedUrls_AndAppliesExtraEnvironmentLast()
    {
        var options = new LiaaClusterOptions();
        options.Environment["Liaa__Kademlia__K"] = "8";
        options.Environment["DOTNET_gcServer"] = "1";
        options.Environment["SOMETHING_INHERITED"] = null;

        var environment = NodeLaunch.BuildEnvironment("node-1", options, Inherited(("ASPNETCORE_URLS", "http://+:80")), 1);

        Assert.True(environment.ContainsKey("ASPNETCORE_URLS"));
        Assert.Null(environment["ASPNETCORE_URLS"]);
        Assert.False(environment.ContainsKey("DOTNET_URLS"));
        Assert.Equal("8", environment["Liaa__Kademlia__K"]);
        Assert.Equal("1", environment["DOTNET_gcServer"]);
        Assert.Null(environment["SOMETHING_INHERITED"]);
    }

    [Fact]
    public void CreateStartInfo_RedirectsEveryStream_AndPutsProgramArgumentsFirst()
    {
        var program = new NodeProgram("/usr/bin/dotnet", ["/opt/liaa/Liaa.Node.dll"], "/opt/liaa");

        var startInfo = NodeLaunch.CreateStartInfo(program, ["serve", "--name", "node-0"], new Dictionary<string, string?> { ["A"] = "1", ["PATH"] = null });

        Assert.Equal("/usr/bin/dotnet", startInfo.FileName);
        Assert.Equal(["/opt/liaa/Liaa.Node.dll", "serve", "--name", "node-0"], startInfo.ArgumentList);
        Assert.Equal("/opt/liaa", startInfo.WorkingDirectory);
        Assert.True(startInfo.RedirectStandardInput && startInfo.RedirectStandardOutput && startInfo.RedirectStandardError);
        Assert.False(startInfo.UseShellExecute);
        Assert.Equal("1", startInfo.Environment["A"]);
        Assert.False(startInfo.Environment.ContainsKey("PATH"));
    }
}

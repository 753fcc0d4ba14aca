using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Liaa.Node.Hosting;
using Liaa.Tests.ServiceDefaults;
using Microsoft.Extensions.Hosting;

namespace Liaa.Tests.Deploy;

/// <summary>
/// <c>deploy/k8s/</c>: the StatefulSet and its headless Service, parsed (YamlDotNet) and checked against
/// what the node really does: its settings as <see cref="NodeSettings"/> reads them, its default UDP port,
/// the paths <c>MapDefaultEndpoints</c> serves. No cluster is involved.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    /// <summary>The namespace the pods are pretended to run in when their environment is expanded.</summary>
    private const string Namespace = "liaa-test";

    private static readonly Lazy<IReadOnlyList<JsonObject>> Documents = new(() =>
        System.IO.Directory.GetFiles(DeployFiles.Kubernetes, "*.yaml")
            .Where(path => Path.GetFileName(path) != "kustomization.yaml")
            .Order(StringComparer.Ordinal)
            .SelectMany(DeployFiles.LoadYamlDocuments)
            .ToList());

    private static JsonObject StatefulSet => Assert.Single(Documents.Value, d => Text(d["kind"]) == "StatefulSet");

    private static JsonObject Service => Assert.Single(Documents.Value, d => Text(d["kind"]) == "Service" && Text(d["metadata"]!["name"]) == Text(StatefulSet["spec"]!["serviceName"]));

    private static JsonObject Container => Assert.Single(StatefulSet["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!.AsObject();

    [Fact]
    public void StatefulSet_NamesAHeadlessService_ThatSelectsItsPods_AndPublishesNotReadyAddresses()
    {
        var spec = Service["spec"]!;

        Assert.Equal("None", Text(spec["clusterIP"]));
        // Pods are ready once joined, and join through these names: they must resolve before readiness.
        Assert.Equal("true", Text(spec["publishNotReadyAddresses"]));
        var podLabels = StatefulSet["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.All(spec["selector"]!.AsObject(), s => Assert.Equal(Text(s.Value), Text(podLabels[s.Key])));
        Assert.All(StatefulSet["spec"]!["selector"]!["matchLabels"]!.AsObject(), s => Assert.Equal(Text(s.Value), Text(podLabels[s.Key])));
        // OrderedReady would wait for liaa-0 to be ready before starting liaa-1, its only peer.
        Assert.Equal("Parallel", Text(StatefulSet["spec"]!["podManagementPolicy"]));
    }

    [Fact]
    public void Container_Settings_AreValidForTheNode_AndItsPortsAreTheNodesPorts()
    {
        var environment = Environment();
        var settings = DeployFiles.ReadNodeSettings(environment);

        Assert.Empty(settings.Problems);
        Assert.Equal(DeployFiles.DefaultUdpPort, settings.Node.EndPoint.Port);
        Assert.Equal(settings.Node.EndPoint.Port, ContainerPort("dht", "UDP"));
        Assert.True(settings.Http.Port > 0, "the HTTP API needs a fixed port for probes and scrapes");
        Assert.Equal(settings.Http.Port, ContainerPort("http", "TCP"));
        // Probes and Prometheus reach the pod's address, not its loopback.
        Assert.Equal(IPAddress.Any, settings.Http.Address);
        Assert.NotNull(settings.ApiToken);

        var service = Service["spec"]!["ports"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Contains(service, p => Text(p["protocol"]) == "UDP" && Int(p["port"]) == settings.Node.EndPoint.Port && Text(p["targetPort"]) == "dht");
        Assert.Contains(service, p => Text(p["protocol"]) == "TCP" && Int(p["port"]) == settings.Http.Port && Text(p["targetPort"]) == "http");
    }

    [Fact]
    public void DataDirectory_IsTheMountOfAVolumeClaimTemplate()
    {
        var settings = DeployFiles.ReadNodeSettings(Environment());
        var claims = StatefulSet["spec"]!["volumeClaimTemplates"]!.AsArray().Select(c => Text(c!["metadata"]!["name"])).ToList();

        var mount = Assert.Single(Container["volumeMounts"]!.AsArray(), m => Text(m!["mountPath"]) == settings.Node.DataDirectory);
        Assert.Contains(Text(mount!["name"]), claims);
    }

    [Fact]
    public void Seeds_AreSeveral_AndEachIsTheStableDnsNameOfAPodOfTheStatefulSet()
    {
        var seeds = DeployFiles.Seeds(Environment());
        var name = Text(StatefulSet["metadata"]!["name"]);
        var replicas = Int(StatefulSet["spec"]!["replicas"]);
        var service = Text(StatefulSet["spec"]!["serviceName"]);
        var pods = Enumerable.Range(0, replicas).Select(i => $"{name}-{i}.{service}.{Namespace}.svc.cluster.local").ToList();

        Assert.True(seeds.Count >= 2, $"give several seeds, not {seeds.Count}");
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        foreach (var seed in seeds)
        {
            var (host, port) = DeployFiles.SplitHostPort(seed);
            Assert.Contains(host, pods);
            Assert.Equal(ContainerPort("dht", "UDP"), port);
        }
    }

    [Fact]
    public void Probes_HitTheNodesHealthPaths_OnItsHttpPort()
    {
        var httpPort = DeployFiles.HttpEndPoint(Environment()).Port;

        Assert.Equal(LiaaServiceDefaultsExtensions.HealthPath, Text(Container["readinessProbe"]!["httpGet"]!["path"]));
        Assert.Equal(httpPort, ResolvePort(Container["readinessProbe"]!["httpGet"]!["port"]));
        // Liveness is /alive: a node that has not joined yet is not ready, but restarting it would not help.
        Assert.Equal(LiaaServiceDefaultsExtensions.AlivePath, Text(Container["livenessProbe"]!["httpGet"]!["path"]));
        Assert.Equal(httpPort, ResolvePort(Container["livenessProbe"]!["httpGet"]!["port"]));
    }

    [Fact]
    public void PrometheusAnnotations_PointAtMetrics_OnTheHttpPort()
    {
        var annotations = StatefulSet["spec"]!["template"]!["metadata"]!["annotations"]!;

        Assert.Equal("true", Text(annotations["prometheus.io/scrape"]));
        Assert.Equal(LiaaServiceDefaultsExtensions.MetricsPath, Text(annotations["prometheus.io/path"]));
        Assert.Equal(DeployFiles.HttpEndPoint(Environment()).Port, Int(annotations["prometheus.io/port"]));
    }

    [Fact]
    public void PrometheusKubernetesConfig_KeepsThesePods_ScrapesTheirHttpPort_AndLabelsThemAsTheDashboardsExpect()
    {
        var config = Assert.Single(DeployFiles.LoadYamlDocuments(Path.Combine(DeployFiles.Directory, "prometheus", "kubernetes.yml")));
        var job = Assert.Single(config["scrape_configs"]!.AsArray())!;
        var rules = job["relabel_configs"]!.AsArray().Select(r => r!.AsObject()).ToList();
        string? Keep(string source) => rules.SingleOrDefault(r => Text(r["action"]) == "keep" && Text(r["source_labels"]![0]) == source) is { } rule ? Text(rule["regex"]) : null;
        var podLabels = StatefulSet["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

        // The alert rules name job="liaa"; the dashboards select on the node label.
        Assert.Equal("liaa", Text(job["job_name"]));
        Assert.Equal("true", Keep("__meta_kubernetes_pod_annotation_prometheus_io_scrape"));
        Assert.Equal(Text(podLabels["app.kubernetes.io/name"]), Keep("__meta_kubernetes_pod_label_app_kubernetes_io_name"));
        var port = Keep("__meta_kubernetes_pod_container_port_name")!;
        Assert.Equal(DeployFiles.HttpEndPoint(Environment()).Port, ContainerPort(port, "TCP"));
        Assert.Contains(rules, r => Text(r["source_labels"]![0]) == "__meta_kubernetes_pod_annotation_prometheus_io_path" && Text(r["target_label"]) == "__metrics_path__");
        Assert.Contains(rules, r => Text(r["source_labels"]![0]) == "__meta_kubernetes_pod_name" && Text(r["target_label"]) == "node");
    }

    [Fact]
    public void Telemetry_GoesToAnOtlpCollector_WithEachPodAsItsOwnServiceInstance()
    {
        var environment = Environment().ToDictionary(e => e.Key, e => e.Value);

        Assert.True(Uri.TryCreate(environment["OTEL_EXPORTER_OTLP_ENDPOINT"], UriKind.Absolute, out var collector) && collector.Port > 0);
        Assert.False(string.IsNullOrWhiteSpace(environment["OTEL_SERVICE_NAME"]));
        Assert.Contains($"service.instance.id={Text(StatefulSet["metadata"]!["name"])}-0", environment["OTEL_RESOURCE_ATTRIBUTES"], StringComparison.Ordinal);
    }

    [Fact]
    public void Kustomization_ListsEveryManifest()
    {
        var kustomization = Assert.Single(DeployFiles.LoadYamlDocuments(Path.Combine(DeployFiles.Kubernetes, "kustomization.yaml")));
        var manifests = System.IO.Directory.GetFiles(DeployFiles.Kubernetes, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");

        Assert.Equal(manifests.Order(StringComparer.Ordinal), kustomization["resources"]!.AsArray().Select(r => Text(r)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Manifests_PassTheKubernetesSchemas_WhenTheSchemaCheckIsInstalled()
    {
        var tool = Path.Combine(DeployFiles.Directory, "tools", "k8s-schema");
        if (!System.IO.Directory.Exists(Path.Combine(tool, "node_modules", "kubernetes-models")) || !File.Exists("/usr/bin/node"))
        {
            Assert.Skip($"the schema check is not installed: npm install --prefix {tool} (needs node and the npm registry)");
        }

        var manifests = System.IO.Directory.GetFiles(DeployFiles.Kubernetes, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml");
        var (exitCode, output, errors) = await ToolProcess.RunAsync("/usr/bin/node", [Path.Combine(tool, "check.mjs"), .. manifests], string.Empty, TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"schema check: exit {exitCode}\n{output}\n{errors}");
        Assert.DoesNotContain("skipped", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The container's environment as the pod liaa-0 gets it: field references filled in, the secret replaced by
    /// a token of the shortest length allowed, and <c>$(NAME)</c> expanded from the variables before it (as Kubernetes does).
    /// </summary>
    private static List<KeyValuePair<string, string>> Environment()
    {
        var values = new List<KeyValuePair<string, string>>();
        foreach (var entry in Container["env"]!.AsArray().Select(e => e!.AsObject()))
        {
            var name = Text(entry["name"]);
            string value;
            if (entry["value"] is { } literal)
            {
                value = Reference().Replace(Text(literal), m => values.LastOrDefault(v => v.Key == m.Groups[1].Value).Value ?? m.Value);
            }
            else
            {
                value = Text(entry["valueFrom"]!["fieldRef"]?["fieldPath"]) switch
                {
                    "metadata.name" => $"{Text(StatefulSet["metadata"]!["name"])}-0",
                    "metadata.namespace" => Namespace,
                    _ when entry["valueFrom"]!["secretKeyRef"] is not null => new string('s', NodeSettings.MinApiTokenLength),
                    var other => throw new InvalidOperationException($"env {name}: no stand-in for {other}"),
                };
            }

            values.Add(new(name, value));
        }

        return values;
    }

    private static int ContainerPort(string name, string protocol)
    {
        var port = Assert.Single(Container["ports"]!.AsArray(), p => Text(p!["name"]) == name);
        Assert.Equal(protocol, Text(port!["protocol"]));
        return Int(port["containerPort"]);
    }

    private static int ResolvePort(JsonNode? port) =>
        int.TryParse(Text(port), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : ContainerPort(Text(port), "TCP");

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? string.Empty;

    private static int Int(JsonNode? node) => int.Parse(Text(node), NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}

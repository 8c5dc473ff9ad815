using System.Text.RegularExpressions;
using InferenceServer.Api.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace InferenceServer.Api.Tests;

/// <summary>deploy/kubernetes loaded with the KubernetesClient YAML loader and checked against the application.</summary>
[Collection(ContractCollection.Name)]
public sealed class KubernetesManifestTests(ContractServerFixture fixture)
{
    /// <summary>The Gateway API Inference Extension's InferencePool, typed for the loader (a custom resource).</summary>
    public sealed class V1InferencePool : IKubernetesObject<V1ObjectMeta>
    {
        public string ApiVersion { get; set; } = "";
        public string Kind { get; set; } = "";
        public V1ObjectMeta Metadata { get; set; } = new();
        public PoolSpec Spec { get; set; } = new();

        public sealed class PoolSpec
        {
            public V1LabelSelector Selector { get; set; } = new();
            public List<PortRef> TargetPorts { get; set; } = [];
            public PickerRef EndpointPickerRef { get; set; } = new();
        }

        public sealed class PortRef { public int Number { get; set; } }
        public sealed class PickerRef { public string Name { get; set; } = ""; public PortRef Port { get; set; } = new(); }
    }

    private static List<object> LoadAll() =>
        Directory.GetFiles(Path.Combine(ConfigurationKeys.RepositoryRoot, "deploy", "kubernetes"), "*.yaml")
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f),
                new Dictionary<string, Type> { ["inference.networking.k8s.io/v1/InferencePool"] = typeof(V1InferencePool) }))
            .ToList();

    private static T One<T>(List<object> all, string name) where T : IKubernetesObject<V1ObjectMeta> =>
        all.OfType<T>().Single(o => o.Metadata.Name == name);

    [Fact]
    public async Task Manifests_match_ports_probes_settings_drain_and_metrics_of_the_application()
    {
        var all = LoadAll();
        var deployment = One<V1Deployment>(all, "inference-server");
        var container = deployment.Spec.Template.Spec.Containers.Single();
        var http = container.Ports.Single(p => p.Name == "http");
        Assert.Equal(8000, http.ContainerPort);

        Assert.Equal("/health/live", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/health/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/health/ready", container.StartupProbe.HttpGet.Path);
        Assert.All(new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe }, p => Assert.Equal("http", p.HttpGet.Port.Value));
        Assert.True((await fixture.Server.Http.GetAsync("health/live")).IsSuccessStatusCode);

        var config = One<V1ConfigMap>(all, container.EnvFrom.Single().ConfigMapRef.Name);
        foreach (string variable in config.Data.Keys.Concat(container.Env.Select(e => e.Name)))
            Assert.True(ConfigurationKeys.Exists(variable), $"unknown setting {variable}");
        Assert.Contains(container.Env, e => e.Name == "Urls" && e.Value.EndsWith(":8000"));

        // The pod gets preStop + the drain timeout before Kubernetes kills it.
        var drain = TimeSpan.Parse(config.Data["Server__DrainTimeout"]);
        long preStop = container.Lifecycle.PreStop.Sleep.Seconds;
        Assert.True(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds >= preStop + drain.TotalSeconds + 5);

        Assert.Equal("/models", container.VolumeMounts.Single(v => v.Name == "models").MountPath);
        Assert.StartsWith("/models/", config.Data["Model__Path"]);
        Assert.Equal(container.Env.Single(e => e.Name == "Model__DataDirectory").Value,
            container.VolumeMounts.Single(v => v.Name == "data").MountPath);
        Assert.Equal(1654, deployment.Spec.Template.Spec.SecurityContext.RunAsUser);

        var labels = deployment.Spec.Template.Metadata.Labels;
        var service = One<V1Service>(all, "inference-server");
        Assert.Equal("http", service.Spec.Ports.Single().TargetPort.Value);
        Assert.All(service.Spec.Selector, kv => Assert.Equal(kv.Value, labels[kv.Key]));
        var pdb = One<V1PodDisruptionBudget>(all, "inference-server");
        Assert.All(pdb.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));

        string metrics = await fixture.Server.Http.GetStringAsync("metrics");
        bool Exported(string name) => Regex.IsMatch(metrics, $"^{Regex.Escape(name)}[ {{]", RegexOptions.Multiline);

        var hpa = One<V2HorizontalPodAutoscaler>(all, "inference-server");
        Assert.Equal(deployment.Metadata.Name, hpa.Spec.ScaleTargetRef.Name);
        string hpaMetric = hpa.Spec.Metrics.Single().Pods.Metric.Name;
        Assert.True(Exported(hpaMetric), $"{hpaMetric} is not exported");
        Assert.Contains(hpaMetric, One<V1ConfigMap>(all, "prometheus-adapter-inference-server").Data["config.yaml"]);

        var pool = One<V1InferencePool>(all, "inference-server");
        Assert.All(pool.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));
        Assert.Equal(http.ContainerPort, pool.Spec.TargetPorts.Single().Number);
        var epp = One<V1Deployment>(all, pool.Spec.EndpointPickerRef.Name);
        Assert.Equal(pool.Spec.EndpointPickerRef.Port.Number, epp.Spec.Template.Spec.Containers.Single().Ports.Single().ContainerPort);
        var metricArgs = epp.Spec.Template.Spec.Containers.Single().Args
            .Where(a => a.Contains("-metric=") && !a.EndsWith('=')).Select(a => a.Split('=')[1]).ToList();
        Assert.Equal(3, metricArgs.Count);
        Assert.All(metricArgs, m => Assert.True(Exported(m), $"EPP reads {m}, which is not exported"));
    }
}

using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Chart;

/// <summary>helm lint and helm template of every ci/ value set, every document strictly typed, pod and CronJob fields checked.</summary>
public sealed class ChartRenderTests
{
    public static TheoryData<string> ValueSets => HelmChart.ValueSets();

    [Fact]
    public void ValueSets_CoverEveryInstallPath_AtLeastTen()
    {
        var sets = HelmChart.ValueSetNames;

        foreach (var expected in new[] { "default", "namespaced", "irsa", "pod-identity", "aks", "gke", "static-env", "monitoring", "hook-off", "daemon" })
            Assert.Contains($"{expected}-values.yaml", sets);
    }

    [Fact]
    public async Task HelmLint_StrictWithEveryValueSet_Passes()
    {
        foreach (var set in HelmChart.ValueSetNames)
        {
            var result = await HelmChart.RunAsync(["lint", "--strict", HelmChart.Directory, "-f", Path.Combine(HelmChart.Directory, "ci", set)]);

            Assert.True(result.ExitCode == 0, $"helm lint --strict -f ci/{set}: {result}");
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Template_ValueSet_EveryDocumentIsAKnownKind(string valueSet)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);

        Assert.NotEmpty(rendered.Documents);
        Assert.All(rendered.Documents, d => Assert.True(d.Model is not null || Rendered.CustomKinds.Contains(d.Kind), $"{d.Kind} {d.Name} not parsed"));
        Assert.Single(rendered.Of<V1ConfigMap>(), c => c.Data.ContainsKey("config.yaml"));
    }

    [Fact]
    public async Task Template_Defaults_RendersCronJobHookServiceAccountClusterRoleAndConfigMap()
    {
        var rendered = await HelmChart.TemplateAsync("default-values.yaml");

        Assert.Equal(
            ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "CronJob", "Job", "ServiceAccount"],
            rendered.Documents.Select(d => d.Kind).Order(StringComparer.Ordinal));
        var binding = rendered.Single<V1ClusterRoleBinding>();
        Assert.Equal((HelmChart.Release + "-secret-rotator", HelmChart.Namespace), (binding.Subjects.Single().Name, binding.Subjects.Single().NamespaceProperty));
        Assert.Equal(rendered.Single<V1ServiceAccount>().Metadata.Name, binding.Subjects.Single().Name);
    }

    [Fact]
    public async Task Template_Defaults_CronJobFieldsAsDocumented()
    {
        var cron = (await HelmChart.TemplateAsync("default-values.yaml")).Single<V1CronJob>();

        Assert.Equal("*/30 * * * *", cron.Spec.Schedule);
        Assert.Equal("Forbid", cron.Spec.ConcurrencyPolicy);
        Assert.Equal(300, cron.Spec.StartingDeadlineSeconds);
        Assert.Equal((3, 3), (cron.Spec.SuccessfulJobsHistoryLimit, cron.Spec.FailedJobsHistoryLimit));
        var job = cron.Spec.JobTemplate.Spec;
        Assert.Equal(1, job.BackoffLimit);
        Assert.True(job.ActiveDeadlineSeconds < 30 * 60, "a run must end before the next one is due");
        Assert.Equal(86400, job.TtlSecondsAfterFinished);
        Assert.Equal("Never", job.Template.Spec.RestartPolicy);
        Assert.Equal(["run", "--config", "/etc/secret-rotator/config.yaml"], job.Template.Spec.Containers.Single().Args);
        Assert.Null(cron.Spec.TimeZone);
    }

    [Fact]
    public async Task Template_Monitoring_TimeZoneAndSchedulingKnobsReachThePod()
    {
        var rendered = await HelmChart.TemplateAsync("monitoring-values.yaml");

        var cron = rendered.Single<V1CronJob>();
        Assert.Equal("Europe/Berlin", cron.Spec.TimeZone);
        var pod = cron.Spec.JobTemplate.Spec.Template;
        Assert.Equal("system-cluster-critical", pod.Spec.PriorityClassName);
        Assert.Equal("ghcr-pull", pod.Spec.ImagePullSecrets.Single().Name);
        Assert.Equal("infra", pod.Spec.Tolerations.Single().Value);
        Assert.Equal("true", pod.Metadata.Annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"]);
        Assert.All(rendered.Documents.Where(d => d.Model is IKubernetesObject<V1ObjectMeta>), d =>
            Assert.Equal("platform", ((IKubernetesObject<V1ObjectMeta>)d.Model!).Metadata.Labels["team"]));
        Assert.Contains("url: http://prometheus-pushgateway.monitoring:9091", rendered.ConfigYaml, StringComparison.Ordinal);
        Assert.Contains("instance: prod-eu-1", rendered.ConfigYaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_Defaults_HookJobRunsAfterInstallAndUpgrade()
    {
        var job = (await HelmChart.TemplateAsync("default-values.yaml")).Single<V1Job>();

        Assert.Equal("post-install,post-upgrade", job.Metadata.Annotations["helm.sh/hook"]);
        Assert.Equal("before-hook-creation,hook-succeeded", job.Metadata.Annotations["helm.sh/hook-delete-policy"]);
        Assert.Equal(["run", "--config", "/etc/secret-rotator/config.yaml"], job.Spec.Template.Spec.Containers.Single().Args);
    }

    [Fact]
    public async Task Template_HookOff_NoHookJob()
    {
        var rendered = await HelmChart.TemplateAsync("hook-off-values.yaml");

        Assert.Empty(rendered.Of<V1Job>());
        Assert.Single(rendered.Of<V1CronJob>());
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Template_ValueSet_PodsPassTheRestrictedProfile(string valueSet)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);

        Assert.NotEmpty(rendered.PodSpecs());
        foreach (var (owner, spec, meta) in rendered.PodSpecs())
        {
            Assert.True(spec.SecurityContext.RunAsNonRoot, owner);
            Assert.Equal(65532, spec.SecurityContext.RunAsUser);
            Assert.Equal("RuntimeDefault", spec.SecurityContext.SeccompProfile.Type);
            Assert.Null(spec.HostNetwork);
            Assert.Null(spec.HostPID);
            Assert.All(spec.Volumes, v => Assert.Null(v.HostPath));
            var container = Assert.Single(spec.Containers);
            var sc = container.SecurityContext;
            Assert.False(sc.AllowPrivilegeEscalation, owner);
            Assert.True(sc.ReadOnlyRootFilesystem, owner);
            Assert.True(sc.RunAsNonRoot, owner);
            Assert.Equal(["ALL"], sc.Capabilities.Drop);
            Assert.Null(sc.Capabilities.Add);
            Assert.Null(sc.Privileged);
            Assert.Equal("RuntimeDefault", sc.SeccompProfile.Type);
            // The read-only root needs a writable /tmp; the config is mounted read-only at the default path.
            Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp" && spec.Volumes.Single(v => v.Name == m.Name).EmptyDir is not null);
            Assert.Contains(container.VolumeMounts, m => m.MountPath == "/etc/secret-rotator" && m.ReadOnlyProperty == true);
            Assert.Contains(container.Env, e => e is { Name: "SECRET_ROTATOR_LOG_FORMAT", Value: "json" });
            Assert.NotNull(container.Resources.Limits["memory"]);
            Assert.Matches("^[0-9a-f]{64}$", meta.Annotations["checksum/config"]);
        }
    }

    [Fact]
    public async Task Template_ConfigChanged_ChecksumAnnotationChanges()
    {
        var before = (await HelmChart.TemplateAsync("default-values.yaml")).Single<V1CronJob>();
        var changed = await HelmChart.TemplateRawAsync("--set", "config.settings.refreshBefore=2h");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        var after = Rendered.Parse(changed.Stdout).Single<V1CronJob>();

        Assert.NotEqual(before.Spec.JobTemplate.Spec.Template.Metadata.Annotations["checksum/config"], after.Spec.JobTemplate.Spec.Template.Metadata.Annotations["checksum/config"]);
    }

    [Fact]
    public async Task Template_Identity_ServiceAccountAnnotationsAndPodLabelsPerCloud()
    {
        var irsa = (await HelmChart.TemplateAsync("irsa-values.yaml")).Single<V1ServiceAccount>();
        var gke = (await HelmChart.TemplateAsync("gke-values.yaml")).Single<V1ServiceAccount>();
        var aks = await HelmChart.TemplateAsync("aks-values.yaml");
        var podIdentity = (await HelmChart.TemplateAsync("pod-identity-values.yaml")).Single<V1ServiceAccount>();

        Assert.Equal("arn:aws:iam::123456789012:role/secret-rotator-ecr", irsa.Metadata.Annotations["eks.amazonaws.com/role-arn"]);
        Assert.Equal("secret-rotator@my-project.iam.gserviceaccount.com", gke.Metadata.Annotations["iam.gke.io/gcp-service-account"]);
        Assert.All(aks.PodSpecs(), p => Assert.Equal("true", p.Meta.Labels["azure.workload.identity/use"]));
        Assert.Null(podIdentity.Metadata.Annotations);
        Assert.True(irsa.AutomountServiceAccountToken);
    }

    [Fact]
    public async Task Template_StaticEnv_TokenComesFromTheExistingSecretNotTheConfigMap()
    {
        var rendered = await HelmChart.TemplateAsync("static-env-values.yaml");

        var container = rendered.Single<V1CronJob>().Spec.JobTemplate.Spec.Template.Spec.Containers.Single();
        Assert.Equal("registry-tokens", container.Env.Single(e => e.Name == "GHCR_TOKEN").ValueFrom.SecretKeyRef.Name);
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/var/run/secrets/dockerhub");
        Assert.Contains("password:\n    env: GHCR_TOKEN", rendered.ConfigYaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_Daemon_DeploymentServicePdbServiceMonitorAndLeaseRole()
    {
        var rendered = await HelmChart.TemplateAsync("daemon-values.yaml");

        Assert.Empty(rendered.Of<V1CronJob>());
        Assert.Empty(rendered.Of<V1Job>());
        var deployment = rendered.Single<V1Deployment>();
        var fullname = HelmChart.Release + "-secret-rotator";
        Assert.Equal(2, deployment.Spec.Replicas);
        var container = deployment.Spec.Template.Spec.Containers.Single();
        Assert.Equal(["daemon", "--config", "/etc/secret-rotator/config.yaml", "--port", "8080", "--lease-name", fullname], container.Args);
        Assert.Equal("metadata.name", container.Env.Single(e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", container.Env.Single(e => e.Name == "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal(8080, rendered.Single<V1Service>().Spec.Ports.Single().Port);
        Assert.Equal("1", rendered.Single<V1PodDisruptionBudget>().Spec.MinAvailable.Value);
        // honorLabels: our failure series' own `namespace` label survives the scrape (not renamed exported_namespace).
        var endpoint = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)rendered.Custom("ServiceMonitor")!.Node["spec"])["endpoints"]).Children.Single();
        Assert.Equal("true", endpoint["honorLabels"].ToString());
        var lease = rendered.Of<V1Role>().Single(r => r.Metadata.Name == $"{fullname}-leader-election");
        Assert.Equal(HelmChart.Namespace, lease.Metadata.NamespaceProperty);
        Assert.All(lease.Rules, r => Assert.Equal(["coordination.k8s.io"], r.ApiGroups));
        Assert.Equal(["create", "get", "update"], lease.Rules.SelectMany(r => r.Verbs).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Template_DaemonOneReplicaWithoutMonitoringApi_NoPdbNoServiceMonitor()
    {
        var result = await HelmChart.TemplateRawAsync("--set", "mode=daemon", "--set", "daemon.replicas=1");
        Assert.True(result.ExitCode == 0, result.ToString());
        var rendered = Rendered.Parse(result.Stdout);

        Assert.Empty(rendered.Of<V1PodDisruptionBudget>());
        Assert.Null(rendered.Custom("ServiceMonitor"));
        var withApi = await HelmChart.TemplateRawAsync("--set", "mode=daemon", "--api-versions", "monitoring.coreos.com/v1");
        Assert.NotNull(Rendered.Parse(withApi.Stdout).Custom("ServiceMonitor"));
    }

    [Fact]
    public async Task Template_GrafanaDashboardOn_ConfigMapWithSidecarLabelAndValidJson()
    {
        var rendered = await HelmChart.TemplateAsync("monitoring-values.yaml");

        var dashboard = rendered.Of<V1ConfigMap>().Single(c => c.Metadata.Labels.ContainsKey("grafana_dashboard"));
        Assert.Equal("monitoring", dashboard.Metadata.NamespaceProperty);
        using var json = System.Text.Json.JsonDocument.Parse(dashboard.Data["secret-rotator.json"]);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, json.RootElement.GetProperty("panels").ValueKind);
    }

    [Theory]
    [InlineData("concurrencyPolicy: Forbid", "concurencyPolicy: Forbid")]
    [InlineData("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true")]
    [InlineData("successfulJobsHistoryLimit: 3", "successfulJobHistoryLimit: 3")]
    public async Task StrictParse_MisspeltField_Throws(string field, string typo)
    {
        var cron = (await HelmChart.TemplateAsync("default-values.yaml")).Documents.Single(d => d.Kind == "CronJob");
        Assert.Contains(field, cron.Yaml, StringComparison.Ordinal);

        Assert.ThrowsAny<Exception>(() => Rendered.Strict(cron.Yaml.Replace(field, typo, StringComparison.Ordinal)));
        Assert.IsType<V1CronJob>(Rendered.Strict(cron.Yaml));
    }
}

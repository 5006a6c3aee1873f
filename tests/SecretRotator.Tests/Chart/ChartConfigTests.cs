using k8s.Models;
using SecretRotator.Cli;
using SecretRotator.Tests.EndToEnd;
using SecretRotator.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Chart;

/// <summary>The config the pods mount passes `secret-rotator validate`; the PrometheusRule passes promtool.</summary>
public sealed class ChartConfigTests
{
    public static TheoryData<string> ValueSets => HelmChart.ValueSets();

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task ConfigMap_ValueSet_PassesValidateInThePodsEnvironment(string valueSet)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);
        using var pod = PodView.Of(rendered);
        var config = pod.WriteConfig(rendered.ConfigYaml);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new CliApp(stdout, stderr).RunAsync(["validate", "--config", config], TestContext.Current.CancellationToken);

        Assert.True(code == CliApp.ExitOk, $"{valueSet}: {stderr}\n{rendered.ConfigYaml}");
        Assert.Contains("OK", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigMap_FileSourceOutsideEveryMount_FailsValidate()
    {
        // Proves PodView only satisfies what the pod really provides: a file nobody mounts stays missing.
        var rendered = await HelmChart.TemplateAsync("static-env-values.yaml");
        using var pod = PodView.Of(rendered);
        var config = pod.WriteConfig(rendered.ConfigYaml.Replace("/var/run/secrets/dockerhub/token", "/var/run/secrets/unmounted/token", StringComparison.Ordinal));

        var stderr = new StringWriter();
        var code = await new CliApp(new StringWriter(), stderr).RunAsync(["validate", "--config", config], TestContext.Current.CancellationToken);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("does not exist", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigMap_NeverHoldsALiteralPassword()
    {
        foreach (var set in HelmChart.ValueSetNames)
        {
            var rendered = await HelmChart.TemplateAsync(set);
            var stream = new YamlStream();
            stream.Load(new StringReader(rendered.ConfigYaml));
            var registries = (YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode)["registries"];
            foreach (var registry in registries.Cast<YamlMappingNode>())
            {
                if (registry.Children.TryGetValue("password", out var password))
                    Assert.IsType<YamlMappingNode>(password);
            }
        }
    }

    [Fact]
    public async Task PrometheusRule_MonitoringOn_PassesPromtoolWithTheThresholdValues()
    {
        var promtool = RequiredTool.Find("promtool", "run scripts/install-deps.sh", RequiredTool.IsCi);
        var rendered = await HelmChart.TemplateAsync("monitoring-values.yaml");
        var rule = rendered.Custom("PrometheusRule") ?? throw new Xunit.Sdk.XunitException("no PrometheusRule rendered");
        Assert.Equal("monitoring.coreos.com/v1", ((YamlScalarNode)rule.Node["apiVersion"]).Value);
        Assert.Equal("kube-prometheus-stack", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)rule.Node["metadata"])["labels"])["release"]).Value);
        var spec = (YamlMappingNode)rule.Node["spec"];
        var file = Path.Combine(Directory.CreateTempSubdirectory("secret-rotator-rule-").FullName, "rules.yaml");
        await using (var writer = new StreamWriter(file)) new YamlStream(new YamlDocument(spec)).Save(writer, assignAnchors: false);

        var result = await ExternalTool.RunAsync(promtool, ["check", "rules", file], TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SUCCESS: 8 rules found", result.Stdout, StringComparison.Ordinal);
        var text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        Assert.Contains("(secret_rotator_token_expiry_timestamp_seconds - time()) < 2400", text, StringComparison.Ordinal);
        Assert.Contains("[1d])) > 7200", text, StringComparison.Ordinal);
        Assert.Contains("absent_over_time(secret_rotator_run_duration_seconds_count[2h])", text, StringComparison.Ordinal);
        Assert.Contains("rate(secret_rotator_namespace_ready_seconds_bucket[5m]))) > 45", text, StringComparison.Ordinal);
        Assert.Contains($"job_name=~\"{HelmChart.Release}-secret-rotator-.*\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("< 30 * 60", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrometheusRule_MonitoringOff_NotRendered()
    {
        var rendered = await HelmChart.TemplateAsync("default-values.yaml");

        Assert.Null(rendered.Custom("PrometheusRule"));
        Assert.DoesNotContain(rendered.Of<V1ConfigMap>(), c => c.Metadata.Labels.ContainsKey("grafana_dashboard"));
    }
}

/// <summary>
/// What the rendered pod provides to the config: env vars the container defines (set in this process with dummy
/// values) and files under its extra volume mounts (created in a temp folder, and the config's paths pointed there).
/// Anything the pod does not provide stays missing, so validate fails as it would in the cluster.
/// </summary>
internal sealed class PodView : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("secret-rotator-pod-");
    private readonly List<string> _mounts = [];

    public static PodView Of(Rendered rendered)
    {
        var view = new PodView();
        foreach (var (_, spec, _) in rendered.PodSpecs())
        {
            var container = spec.Containers.Single();
            foreach (var env in container.Env ?? [])
            {
                if (env.ValueFrom?.SecretKeyRef is not null && Environment.GetEnvironmentVariable(env.Name) is null)
                    Environment.SetEnvironmentVariable(env.Name, "from-secret");
            }
            view._mounts.AddRange(container.VolumeMounts.Select(m => m.MountPath).Where(p => p is not "/tmp" and not "/etc/secret-rotator"));
        }
        return view;
    }

    public string WriteConfig(string yaml)
    {
        foreach (var mount in _mounts.Distinct(StringComparer.Ordinal))
        {
            var mirrored = _root.FullName + mount;
            yaml = yaml.Replace($"file: {mount}/", $"file: {mirrored}/", StringComparison.Ordinal);
            foreach (var line in yaml.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith($"file: {mirrored}/", StringComparison.Ordinal)))
            {
                var path = line["file: ".Length..];
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, "from-secret");
            }
        }
        var config = Path.Combine(_root.FullName, "config.yaml");
        File.WriteAllText(config, yaml);
        return config;
    }

    public void Dispose() => _root.Delete(recursive: true);
}

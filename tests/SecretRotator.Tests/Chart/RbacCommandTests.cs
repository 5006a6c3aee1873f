using k8s;
using k8s.Models;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Rbac;

namespace SecretRotator.Tests.Chart;

/// <summary>`secret-rotator rbac` prints what the chart grants for the same config, as applyable YAML.</summary>
public sealed class RbacCommandTests
{
    [Theory]
    [InlineData("default-values.yaml", "cluster", "")]
    [InlineData("irsa-values.yaml", "cluster", "")]
    [InlineData("pod-identity-values.yaml", "cluster", "")]
    [InlineData("namespaced-values.yaml", "namespaced", "")]
    [InlineData("hook-off-values.yaml", "cluster", "--type-repair")]
    [InlineData("daemon-values.yaml", "cluster", "--daemon")]
    public async Task Rbac_ConfigOfValueSet_PrintsTheChartsRules(string valueSet, string scope, string flag)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);
        using var pod = PodView.Of(rendered);
        string[] args = ["rbac", "--config", pod.WriteConfig(rendered.ConfigYaml), "--scope", scope, "--service-account", $"{HelmChart.Release}-secret-rotator",
            "--service-account-namespace", HelmChart.Namespace, .. flag.Length > 0 ? new[] { flag } : []];

        var (code, stdout, stderr) = await RunAsync(args);

        Assert.True(code == CliApp.ExitOk, stderr);
        var printed = KubernetesYaml.LoadAllFromString(stdout, typeMap: null, strict: true);
        var grants = printed.OfType<V1ClusterRole>().Select(r => new RbacGrant(null, [.. r.Rules]))
            .Concat(printed.OfType<V1Role>().Select(r => new RbacGrant(r.Metadata.NamespaceProperty, [.. r.Rules])));
        Assert.Equal(RenderedRbac.Canonical(RenderedRbac.Grants(rendered).Concat(LeaseGrants(rendered))), RenderedRbac.Canonical(grants));
        var bindings = printed.OfType<V1ClusterRoleBinding>().SelectMany(b => b.Subjects).Concat(printed.OfType<V1RoleBinding>().SelectMany(b => b.Subjects)).ToList();
        Assert.Equal(printed.Count(o => o is V1ClusterRole or V1Role), bindings.Count);
        Assert.All(bindings, s => Assert.Equal(("ServiceAccount", $"{HelmChart.Release}-secret-rotator", HelmChart.Namespace), (s.Kind, s.Name, s.NamespaceProperty)));
    }

    [Fact]
    public async Task Rbac_NamespacedScopeWithGlob_ExitsTwoNamingTheSecret()
    {
        var rendered = await HelmChart.TemplateAsync("irsa-values.yaml");
        using var pod = PodView.Of(rendered);

        var (code, stdout, stderr) = await RunAsync(["rbac", "--config", pod.WriteConfig(rendered.ConfigYaml), "--scope", "namespaced"]);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Empty(stdout);
        Assert.Contains("ecr-pull", stderr, StringComparison.Ordinal);
        Assert.Contains("use cluster scope", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rbac_UnknownScope_ExitsTwo()
    {
        var (code, _, _) = await RunAsync(["rbac", "--config", "x.yaml", "--scope", "everything"]);

        Assert.Equal(CliApp.ExitUsage, code);
    }

    private static IEnumerable<RbacGrant> LeaseGrants(Rendered rendered) =>
        rendered.Of<V1Role>().Where(r => r.Metadata.Name == RenderedRbac.LeaderElectionRole).Select(r => new RbacGrant(r.Metadata.NamespaceProperty, [.. r.Rules]));

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new CliApp(stdout, stderr).RunAsync(args, TestContext.Current.CancellationToken);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

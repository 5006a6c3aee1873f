using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Rbac;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Chart;

/// <summary>The chart grants exactly what <see cref="RbacRules"/> (and so `secret-rotator rbac`) says, and never a wildcard.</summary>
public sealed class ChartRbacTests
{
    public static TheoryData<string> ValueSets => HelmChart.ValueSets();

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Template_ValueSet_RulesEqualTheToolsRbacRules(string valueSet)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);
        var values = ValuesOf(valueSet);
        using var pod = PodView.Of(rendered);
        var config = LoadConfig(pod.WriteConfig(rendered.ConfigYaml));
        var scope = values(["rbac", "scope"]) == "namespaced" ? RbacScope.Namespaced : RbacScope.Cluster;

        var expected = RbacRules.For(config, scope, daemon: values(["mode"]) == "daemon", typeRepair: values(["rbac", "typeRepair"]) == "true");

        Assert.Equal(RenderedRbac.Canonical(expected), RenderedRbac.Canonical(RenderedRbac.Grants(rendered)));
        Assert.Equal(scope == RbacScope.Cluster ? 1 : 0, rendered.Of<V1ClusterRoleBinding>().Count());
        Assert.Equal(rendered.Of<V1Role>().Count(), rendered.Of<V1RoleBinding>().Count());
    }

    [Theory]
    [MemberData(nameof(ValueSets))]
    public async Task Template_ValueSet_NoWildcardAnywhere(string valueSet)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);

        var rules = rendered.Of<V1ClusterRole>().SelectMany(r => r.Rules).Concat(rendered.Of<V1Role>().SelectMany(r => r.Rules)).ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, r => Assert.DoesNotContain("*", (r.ApiGroups ?? []).Concat(r.Resources).Concat(r.Verbs).Concat(r.ResourceNames ?? [])));
        Assert.All(rules, r => Assert.Null(r.NonResourceURLs));
    }

    [Theory]
    [InlineData("default-values.yaml")]
    [InlineData("daemon-values.yaml")]
    public async Task Template_SameReleaseInTwoNamespaces_ClusterScopedNamesDoNotCollide(string valueSet)
    {
        // Arrange
        var first = await HelmChart.TemplateAsync(valueSet);

        // Act: the same release name, installed a second time in another namespace.
        var result = await HelmChart.TemplateRawAsync("-f", Path.Combine(HelmChart.Directory, "ci", valueSet), "--namespace", "secret-rotator-b");
        Assert.True(result.ExitCode == 0, result.ToString());
        var second = Rendered.Parse(result.Stdout);

        // Assert
        static List<string> ClusterScoped(Rendered r) =>
            [.. r.Of<V1ClusterRole>().Select(c => c.Metadata.Name), .. r.Of<V1ClusterRoleBinding>().Select(b => b.Metadata.Name)];
        Assert.NotEmpty(ClusterScoped(first));
        Assert.Empty(ClusterScoped(first).Intersect(ClusterScoped(second)));
        var binding = second.Single<V1ClusterRoleBinding>();
        Assert.Equal(second.Single<V1ClusterRole>().Metadata.Name, binding.RoleRef.Name);
        Assert.Equal("secret-rotator-b", binding.Subjects.Single().NamespaceProperty);
    }

    [Fact]
    public async Task Template_Daemon_LeaseRulesEqualTheTools()
    {
        var rendered = await HelmChart.TemplateAsync("daemon-values.yaml");

        var lease = rendered.Of<V1Role>().Single(r => r.Metadata.Name == RenderedRbac.LeaderElectionRole);

        Assert.Equal(
            RenderedRbac.Canonical([new RbacGrant(HelmChart.Namespace, RbacRules.LeaseRules($"{HelmChart.Release}-secret-rotator"))]),
            RenderedRbac.Canonical([new RbacGrant(lease.Metadata.NamespaceProperty, [.. lease.Rules])]));
    }

    [Theory]
    [InlineData("default-values.yaml", "secrets delete", false)]
    [InlineData("pod-identity-values.yaml", "secrets delete", true)]   // settings.prune
    [InlineData("hook-off-values.yaml", "secrets delete", true)]       // rbac.typeRepair
    [InlineData("default-values.yaml", "namespaces list", false)]      // exact names only
    [InlineData("irsa-values.yaml", "namespaces list", true)]          // a glob
    [InlineData("default-values.yaml", "secrets watch", false)]
    [InlineData("daemon-values.yaml", "secrets watch", true)]
    [InlineData("daemon-values.yaml", "namespaces watch", true)]
    public async Task Template_ValueSet_GrantsAVerbOnlyWhenTheConfigNeedsIt(string valueSet, string verb, bool granted)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);

        Assert.Equal(granted, RenderedRbac.Verbs(RenderedRbac.Grants(rendered)).Contains(verb));
    }

    internal static RotatorConfig LoadConfig(string file)
    {
        var services = new ServiceCollection().AddSecretRotator().BuildServiceProvider();
        return services.GetRequiredService<ConfigLoader>().Load(file);
    }

    /// <summary>A value from a ci/ values file, or null when the file leaves it at the chart default.</summary>
    private static Func<string[], string?> ValuesOf(string valueSet)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(HelmChart.Directory, "ci", valueSet))));
        var root = stream.Documents[0].RootNode as YamlMappingNode;
        return path =>
        {
            YamlNode? node = root;
            foreach (var key in path)
                node = node is YamlMappingNode map && map.Children.TryGetValue(key, out var child) ? child : null;
            return (node as YamlScalarNode)?.Value;
        };
    }
}

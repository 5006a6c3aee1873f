using k8s.Models;

namespace SecretRotator.Tests.Chart;

/// <summary>credentialProvider.installer: opt-in, and exactly the privileges docs/credential-provider.md states.</summary>
public sealed class CredentialProviderInstallerChartTests
{
    [Fact]
    public async Task Template_Defaults_NoInstaller()
    {
        // Act
        var rendered = await HelmChart.TemplateAsync("default-values.yaml");

        // Assert
        Assert.Empty(rendered.Of<V1DaemonSet>());
    }

    [Fact]
    public async Task Template_InstallerEnabled_RootWithTwoHostDirectoriesAndNothingMore()
    {
        // Act
        var daemonSet = (await HelmChart.TemplateAsync("credential-provider-installer-values.yaml")).Single<V1DaemonSet>();

        // Assert
        var pod = daemonSet.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var security = container.SecurityContext;
        Assert.Equal((0L, false, false, false, true), (security.RunAsUser, security.RunAsNonRoot, security.Privileged, security.AllowPrivilegeEscalation, security.ReadOnlyRootFilesystem));
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.Null(security.Capabilities.Add);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.Null(pod.HostNetwork);
        Assert.Null(pod.HostPID);
        Assert.Equal(
            ["/etc/secret-rotator", "/usr/libexec/kubernetes/kubelet-plugins/credential-provider/exec"],
            pod.Volumes.Where(v => v.HostPath is not null).Select(v => v.HostPath.Path).Order(StringComparer.Ordinal));
        Assert.Equal(["credential-provider", "install", "--bin-dir", "/host/bin", "--name", "secret-rotator", "--config-source", "/etc/secret-rotator/config.yaml",
            "--config-path", "/host/config/credential-provider.yaml", "--wait"], container.Args);
        Assert.Equal("true", pod.NodeSelector["secret-rotator.io/credential-provider"]);
    }

    [Fact]
    public async Task Template_InstallerEnabled_SelectorNeverMatchesTheDaemonsPods()
    {
        // Act
        var rendered = await HelmChart.TemplateWithValuesAsync("mode: daemon\ncredentialProvider: {installer: {enabled: true}}\n");

        // Assert
        Assert.True(rendered.ExitCode == 0, rendered.ToString());
        var documents = Rendered.Parse(rendered.Stdout);
        var installerLabels = documents.Single<V1DaemonSet>().Spec.Template.Metadata.Labels;
        var deploymentSelector = documents.Single<V1Deployment>().Spec.Selector.MatchLabels;
        Assert.False(deploymentSelector.All(l => installerLabels.TryGetValue(l.Key, out var v) && v == l.Value), "the Deployment's selector matches the installer's pods");
        var serviceSelector = documents.Single<V1Service>().Spec.Selector;
        Assert.False(serviceSelector.All(l => installerLabels.TryGetValue(l.Key, out var v) && v == l.Value), "the Service selects the installer's pods");
    }

    [Theory]
    [InlineData("credentialProvider: {installer: {enabled: true, configPath: relative/config.yaml}}")]
    [InlineData("credentialProvider: {installer: {enabled: true, binDir: bin}}")]
    [InlineData("credentialProvider: {installer: {enabled: true, privileged: true}}")]
    public async Task Template_BadInstallerValue_SchemaRejects(string values)
    {
        // Act
        var result = await HelmChart.TemplateWithValuesAsync(values + "\n");

        // Assert
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("credentialProvider", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }
}

using k8s.Exceptions;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>The plain-YamlDotNet kubeconfig reader (start-up) gives what the client library's own reader gives.</summary>
public sealed class KubeconfigLoaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kubeconfig-loader-");

    private const string TwoContexts = """
        apiVersion: v1
        kind: Config
        clusters:
          - name: one
            cluster: {server: "https://one.example:6443", insecure-skip-tls-verify: true}
          - name: two
            cluster: {server: "https://two.example:6443", insecure-skip-tls-verify: true}
        users:
          - name: alice
            user: {token: alice-token}
          - name: bob
            user: {username: bob, password: bob-password}
        contexts:
          - name: first
            context: {cluster: one, user: alice, namespace: team-a}
          - name: second
            context: {cluster: two, user: bob}
        current-context: first
        preferences: {colors: true}
        """;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Load_CurrentContext_SameAsTheLibrarysReader()
    {
        var path = Write(TwoContexts);

        var ours = KubeconfigLoader.Load(path, null);
        var library = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        Assert.Equal(library.Host, ours.Host);
        Assert.Equal(library.AccessToken, ours.AccessToken);
        Assert.Equal(library.Namespace, ours.Namespace);
        Assert.Equal(library.SkipTlsVerify, ours.SkipTlsVerify);
        Assert.Equal("https://one.example:6443/", ours.Host.TrimEnd('/') + "/");
        Assert.Equal("alice-token", ours.AccessToken);
    }

    [Fact]
    public void Load_NamedContext_UsesItsClusterAndUser()
    {
        var config = KubeconfigLoader.Load(Write(TwoContexts), "second");

        Assert.StartsWith("https://two.example:6443", config.Host, StringComparison.Ordinal);
        Assert.Equal("bob", config.Username);
        Assert.Equal("bob-password", config.Password);
    }

    [Fact]
    public void Load_UnknownContext_ThrowsKubeConfigException()
    {
        Assert.Throws<KubeConfigException>(() => KubeconfigLoader.Load(Write(TwoContexts), "third"));
    }

    [Theory]
    [InlineData("clusters: [unclosed")]
    [InlineData("")]
    public void Load_InvalidOrEmpty_ThrowsKubeConfigException(string text)
    {
        var e = Assert.Throws<KubeConfigException>(() => KubeconfigLoader.Load(Write(text), null));

        Assert.Contains("kubeconfig", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Missing_ThrowsKubeConfigException()
    {
        Assert.Throws<KubeConfigException>(() => KubeconfigLoader.Load(Path.Combine(_dir.FullName, "absent"), null));
    }

    private string Write(string text)
    {
        var path = Path.Combine(_dir.FullName, "config");
        File.WriteAllText(path, text);
        return path;
    }
}

using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary><c>render</c> works offline: it must never ask for a cluster connection.</summary>
public sealed class RenderCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SecretRotator.sln"))) return Path.Combine(dir.FullName, relative);
        }
        throw new FileNotFoundException("repository root (SecretRotator.sln) not found");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RenderAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, s =>
            s.AddSingleton<IKubernetesClientProvider>(new NoClusterProvider()));
        var code = await app.RunAsync(["render", .. args], Ct);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Render_QuickstartExample_PrintsSecretsWhoseBytesEqualKubectls()
    {
        // Arrange: the same input kubectl would get for the example's registry.
        var kubectl = Kubectl.FindOrSkip();
        var password = (await File.ReadAllTextAsync(RepoFile("examples/quickstart-token.txt"), Ct)).TrimEnd('\n');
        var expected = await Kubectl.DockerConfigJsonAsync(kubectl, "ghcr.io", "my-bot", password, "my-bot@example.com", Ct);

        // Act
        var (code, stdout, stderr) = await RenderAsync("--config", RepoFile("examples/quickstart.yaml"));

        // Assert
        Assert.True(code == 0, stderr);
        var secrets = KubernetesYaml.LoadAllFromString(stdout).Cast<V1Secret>().ToList();
        Assert.Equal(["default", "team-a"], secrets.Select(s => s.Metadata.NamespaceProperty));
        Assert.All(secrets, s =>
        {
            Assert.Equal("regcred", s.Metadata.Name);
            Assert.Equal(ManagedSecret.SecretType, s.Type);
            Assert.Equal(ManagedSecret.ManagedByValue, s.GetLabel(ManagedSecret.ManagedByLabel));
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(s.Data[ManagedSecret.DataKey]));
        });
        Assert.DoesNotContain(password, stderr);
    }

    [Fact]
    public async Task Render_NamespaceOption_NarrowsTheConfigsSelectionLikeRun()
    {
        // quickstart selects [default, team-a]; prod is not selected, so run would not write there either.
        var (code, stdout, stderr) = await RenderAsync("--config", RepoFile("examples/quickstart.yaml"), "--namespace", "team-a", "--namespace", "prod");

        Assert.True(code == 0, stderr);
        Assert.Equal(["team-a"], KubernetesYaml.LoadAllFromString(stdout).Cast<V1Secret>().Select(s => s.Metadata.NamespaceProperty));
    }

    [Fact]
    public async Task Render_GlobTargetWithoutNamespaceOptionOrCluster_Exits2AndPrintsNothing()
    {
        var dir = Directory.CreateTempSubdirectory("render-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "p.txt"), "pw");
            var config = Path.Combine(dir.FullName, "c.yaml");
            File.WriteAllText(config, """
                registries:
                  - {name: r, type: static, server: ghcr.io, username: u, password: {file: p.txt}}
                secrets:
                  - {name: regcred, registries: [r], namespaces: {names: ["team-*"]}}
                """);

            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var app = new CliApp(stdout, stderr, s => s.AddSingleton<IKubernetesClientProvider>(new UnconfiguredProvider()));

            var code = await app.RunAsync(["render", "--config", config], Ct);

            Assert.Equal(2, code);
            Assert.Empty(stdout.ToString());
            Assert.Contains("pass --namespace", stderr.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Validate_QuickstartExample_Exits0AndSaysOk()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await new CliApp(stdout, stderr, s => s.AddSingleton<IKubernetesClientProvider>(new NoClusterProvider()))
            .RunAsync(["validate", "--config", RepoFile("examples/quickstart.yaml")], Ct);

        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("OK (1 registry, 1 secret)", stdout.ToString());
    }

    [Fact]
    public async Task Render_SecretSourceWithoutAnyCluster_Exits2SayingItNeedsTheCluster()
    {
        var dir = Directory.CreateTempSubdirectory("render-");
        try
        {
            var config = Path.Combine(dir.FullName, "c.yaml");
            File.WriteAllText(config, """
                registries:
                  - {name: r, type: static, server: ghcr.io, username: u, password: {secret: {namespace: ops, name: ghcr, key: token}}}
                secrets:
                  - {name: regcred, registries: [r], namespaces: {names: [default]}}
                """);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var app = new CliApp(stdout, stderr, s => s.AddSingleton<IKubernetesClientProvider>(new UnconfiguredProvider()));

            var code = await app.RunAsync(["render", "--config", config], Ct);

            Assert.Equal(2, code);
            Assert.Contains("needs the cluster", stderr.ToString());
            Assert.Empty(stdout.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>What the real provider does on a machine with no kubeconfig and no in-cluster config.</summary>
    private sealed class UnconfiguredProvider : IKubernetesClientProvider
    {
        public IKubernetes Client => throw new k8s.Exceptions.KubeConfigException("no Kubernetes connection");
    }

    /// <summary>Fails the test if render ever reaches for the cluster.</summary>
    private sealed class NoClusterProvider : IKubernetesClientProvider
    {
        public IKubernetes Client => throw new Xunit.Sdk.XunitException("render must not connect to a cluster here");
    }
}

using System.Text;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.EndToEnd;

namespace SecretRotator.Tests.Published.Identity;

/// <summary>One fake API server for the cases that need no cloud: static sources, mirror, verify against a real registry.</summary>
public sealed class ClusterOnlyFakes : IAsyncLifetime
{
    public ProcessRig Rig { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Rig = await ProcessRig.StartAsync("team-a", "shared");

    public async ValueTask DisposeAsync() => await Rig.DisposeAsync();
}

/// <summary>
/// The sources that need no cloud SDK, as the shipped binary runs them: a static password from the environment, a
/// file and a Secret; `mirror` (copy an existing pull secret); and `verify: true` logging in to a real registry.
/// </summary>
public sealed class StaticMirrorVerifyMatrixTests(ClusterOnlyFakes cluster) : IClassFixture<ClusterOnlyFakes>
{
    private const string Server = "registry.example.com";
    private const string Password = "pw-matrix-3f81c2";

    private ProcessRig Rig => cluster.Rig;

    private static string StaticConfig(string secret, string server, string password, bool verify = false) => $$$"""
        registries:
          - {name: hub, type: static, server: "{{{server}}}", username: robot, password: {{{password}}} }
        secrets:
          - {name: {{{secret}}}, registries: [hub], namespaces: {names: [team-a]}}
        settings: {verify: {{{(verify ? "true" : "false")}}} }
        """;

    [Theory]
    [InlineData("env")]
    [InlineData("file")]
    [InlineData("secret")]
    public async Task Run_StaticPasswordSource_WritesExactBytes(string source)
    {
        // Arrange
        var secret = $"static-{source}";
        Dictionary<string, string?> environment = [];
        string password;
        switch (source)
        {
            case "env":
                environment["MATRIX_REGISTRY_TOKEN"] = Password;
                password = "{env: MATRIX_REGISTRY_TOKEN}";
                break;
            case "file":
                password = $"{{file: \"{Rig.WriteFile("password.txt", Password + "\n")}\"}}";
                break;
            default:
                Rig.Api.AddSecret(new V1Secret
                {
                    Metadata = new V1ObjectMeta { Name = "registry-tokens", NamespaceProperty = "shared" },
                    Data = new Dictionary<string, byte[]> { ["hub"] = Encoding.UTF8.GetBytes(Password) },
                });
                password = "{secret: {namespace: shared, name: registry-tokens, key: hub}}";
                break;
        }

        // Act
        var run = await Rig.RunAsync(StaticConfig(secret, Server, password), environment);

        // Assert
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(ProcessRig.Expected((Server, "robot", Password)), Rig.DockerConfigJson("team-a", secret, run));
        Assert.DoesNotContain(Password, run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Mirror_CopiesTheSourceEntriesExactly()
    {
        // Arrange
        var source = ProcessRig.Expected(("quay.io", "q", "qpass"), ("registry.local:5000", "local", "lpass"));
        Rig.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "pull", NamespaceProperty = "shared" },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = Encoding.UTF8.GetBytes(source) },
        });
        const string config = """
            registries:
              - {name: copied, type: mirror, source: {namespace: shared, name: pull}}
            secrets:
              - {name: mirrored, registries: [copied], namespaces: {names: [team-a]}}
            """;

        // Act
        var run = await Rig.RunAsync(config, new Dictionary<string, string?>());

        // Assert
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(source, Rig.DockerConfigJson("team-a", "mirrored", run));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Run_VerifyAgainstRealRegistry_WritesOnlyTheWorkingPassword(bool rightPassword)
    {
        // Arrange
        await using var registry = await RealRegistry.StartAsync("robot", Password, TestContext.Current.CancellationToken);
        var secret = rightPassword ? "verified" : "verify-refused";
        var password = rightPassword ? Password : "wrong-password";
        var file = Rig.WriteFile($"{secret}.txt", password);

        // Act
        var run = await Rig.RunAsync(StaticConfig(secret, registry.Server, $"{{file: \"{file}\"}}", verify: true), new Dictionary<string, string?>());

        // Assert
        if (rightPassword)
        {
            Assert.True(run.ExitCode == 0, $"{run}\n--- registry\n{registry.Log}");
            Assert.Equal(ProcessRig.Expected((registry.Server, "robot", Password)), Rig.DockerConfigJson("team-a", secret, run));
        }
        else
        {
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("(verify_failed)", ProcessRig.FailureLine(run, "hub"), StringComparison.Ordinal);
            Assert.Null(Rig.Api.GetSecret("team-a", secret));
        }
    }
}

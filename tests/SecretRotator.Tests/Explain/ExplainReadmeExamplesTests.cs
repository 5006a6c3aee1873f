using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Explain;

/// <summary>
/// The <c>explain</c> outputs shown in README.md are what the CLI prints against the fake API server for a secret as
/// <c>run</c> writes it (SecretBuilder, the run's own builder): the README stays true or this fails.
/// </summary>
public sealed class ExplainReadmeExamplesTests
{
    private static async Task<RotatorHarness> ClusterAsync()
    {
        var h = await RotatorHarness.StartAsync("default", "team-a");
        var now = h.Time.GetUtcNow();
        var target = new SecretTarget("regcred", ["prod-ecr", "ghcr", "hub"], new NamespaceSelection(["default"], null, []), ["default"],
            new SourceLocation("config.yaml", 1, 1, "secrets[0]"));
        var fresh = new Dictionary<string, RegistryCredential>
        {
            ["prod-ecr"] = new([new DockerAuthEntry("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", "ecr-token")], now.AddHours(12)),
            ["ghcr"] = new([new DockerAuthEntry("ghcr.io", "my-bot", "ghcr-token")], null),
            ["hub"] = new([new DockerAuthEntry("https://index.docker.io/v1/", "my-bot", "hub-token")], null),
        };
        h.Api.AddSecret(SecretBuilder.Build(target, "default", fresh, existing: null, now).Secret);
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "local-registry", NamespaceProperty = "team-a" },
            Type = "kubernetes.io/dockerconfigjson",
            Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = """{"auths":{"registry.local":{"auth":"Y2k6cGFzcw=="}}}"""u8.ToArray() },
        });
        foreach (var (ns, secret) in new[] { ("default", "regcred"), ("team-a", "local-registry") })
        {
            var account = h.Api.GetServiceAccount(ns, "default")!;
            account.ImagePullSecrets = [new V1LocalObjectReference { Name = secret }];
            h.Api.ReplaceServiceAccount(account);
        }
        return h;
    }

    [Theory]
    [InlineData(0, "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2")]
    [InlineData(0, "ghcr.io/acme/web:2.0")]
    [InlineData(0, "nginx")]
    [InlineData(0, "docker.io/library/nginx")]
    [InlineData(0, "index.docker.io/library/nginx:1.27")]
    [InlineData(1, "registry.local:5000/tools/ci:3", "-n", "team-a")]
    public async Task Readme_ExplainExample_IsWhatTheCliPrints(int exitCode, params string[] args)
    {
        await using var h = await ClusterAsync();
        var readme = await File.ReadAllTextAsync(Path.Combine(TestData.RepoRoot, "README.md"), TestContext.Current.CancellationToken);

        var result = await h.RunCliAsync(["explain", .. args]);

        Assert.True(result.ExitCode == exitCode, result.ToString());
        var block = $"$ secret-rotator explain {string.Join(' ', args)}\n{result.Stdout}";
        Assert.True(readme.Contains(block, StringComparison.Ordinal), $"README.md does not show this output:\n{block}");
    }
}

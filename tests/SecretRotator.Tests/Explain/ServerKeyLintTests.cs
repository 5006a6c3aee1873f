using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Cli;
using SecretRotator.Explain;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Explain;

/// <summary><c>validate</c> warns about server keys kubelet reads differently from how they look.</summary>
public sealed class ServerKeyLintTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-lint-");

    public void Dispose() => _dir.Delete(recursive: true);

    private async Task<(int Code, string Stdout, string Stderr)> ValidateAsync(string registries, string settings = "{}")
    {
        var path = Path.Combine(_dir.FullName, "config.yaml");
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "p.txt"), "pw", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(path, $$"""
            registries:
            {{registries}}
            secrets:
              - name: regcred
                registries: [one]
                namespaces: {names: [default]}
            settings: {{settings}}
            """, TestContext.Current.CancellationToken);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, s => s.AddSingleton<IKubernetesClientProvider>(new NoCluster()));
        var code = await app.RunAsync(["validate", "--config", path], TestContext.Current.CancellationToken);
        return (code, stdout.ToString(), stderr.ToString().Replace(path, "config.yaml", StringComparison.Ordinal));
    }

    private static string Static(string server, string images = "") => $"""
          - name: one
            type: static
            server: {server}
            username: u
            password: {"{"}file: p.txt{"}"}
        {images}
        """;

    [Fact]
    public async Task Validate_KeyWithoutThePortAnImageUses_WarnsAtTheImageLineAndExits0()
    {
        var (code, stdout, stderr) = await ValidateAsync(Static("registry.local", "    images: [registry.local/tools/ci, \"registry.local:5000/team/app:1.0\"]"));

        Assert.Equal(0, code);
        Assert.Contains("OK", stdout);
        var warning = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("warning: config.yaml:7:39: registries[0].images[1]: kubelet would not use this registry's credential for registry.local:5000/team/app:1.0 "
            + "(looked up as registry.local:5000/team/app): 'registry.local': port differs: the key has no port, the image port 5000 (write the key as registry.local:5000)", warning);
    }

    [Fact]
    public async Task Validate_GlobOverTooFewLabels_WarnsWithTheLabelCounts()
    {
        var (code, _, stderr) = await ValidateAsync(Static("\"*.azurecr.io\"", "    images: [a.b.azurecr.io/app]"));

        Assert.Equal(0, code);
        Assert.Contains("registries[0].images[0]: kubelet would not use this registry's credential for a.b.azurecr.io/app "
            + "(looked up as a.b.azurecr.io/app): '*.azurecr.io': the glob *.azurecr.io spans 3 dot-separated labels, a.b.azurecr.io has 4", stderr);
    }

    [Fact]
    public async Task Validate_HintsThatMatch_PrintNoWarning()
    {
        var (code, _, stderr) = await ValidateAsync(Static("https://index.docker.io/v1/", "    images: [nginx, docker.io/bitnami/redis, index.docker.io/library/busybox]"));

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Validate_ImageHintNotAReference_IsAConfigError()
    {
        var (code, _, stderr) = await ValidateAsync(Static("ghcr.io", "    images: [ghcr.io/Org/app]"));

        Assert.Equal(2, code);
        Assert.Contains("config.yaml:7:14: registries[0].images[0]: 'ghcr.io/Org/app' repository name 'Org/app' must be lowercase", stderr);
    }

    [Fact]
    public async Task Validate_RegistryOneDockerIoKey_WarnsAtTheRegistry()
    {
        var (code, _, stderr) = await ValidateAsync(Static("registry-1.docker.io"));

        Assert.Equal(0, code);
        Assert.Contains("warning: config.yaml:2:5: registries[0].server: kubelet looks Docker Hub images up as docker.io/<repository> and never matches 'registry-1.docker.io'", stderr);
    }

    [Fact]
    public async Task Validate_MirrorOfItsOwnTarget_Warns()
    {
        var (code, _, stderr) = await ValidateAsync("""
              - name: one
                type: mirror
                source: {namespace: default, name: regcred}
            """);

        Assert.Equal(0, code);
        Assert.Contains("registries[0].source: the source default/regcred is also written by secret regcred of this config", stderr);
    }

    [Theory]
    [InlineData("ghcr.io", false, null)]
    [InlineData("docker.io", false, null)]
    [InlineData("https://index.docker.io/v1/", false, null)]
    [InlineData("index.docker.io", false, null)]
    [InlineData("http://registry.local:5000", true, null)]
    [InlineData("registry-1.docker.io", false, "never matches 'registry-1.docker.io'")]
    [InlineData("https://index.docker.io/v1/library", false, "never matches")]
    [InlineData("ghcr.io:443", false, "images pulled as ghcr.io/... (no port) never match 'ghcr.io:443'; write ghcr.io")]
    [InlineData("ghcr.io/acme", false, "treats the path /acme of 'ghcr.io/acme' as a prefix: it serves only images ghcr.io/acme... (also ghcr.io/acme-other/...)")]
    [InlineData("https://quay.io/v2/", false, "ignores the /v2/ of 'https://quay.io/v2/': the key is quay.io")]
    [InlineData("https://ghcr.io", false, "ignores the scheme of 'https://ghcr.io': the key is ghcr.io")]
    [InlineData("http://registry.local:5000", false, "ignores the scheme of 'http://registry.local:5000' (plain http")]
    [InlineData("oci://ghcr.io", false, "only strips http:// and https://")]
    [InlineData("bad host", false, "cannot parse 'bad host'")]
    public void KeyProblem_Server_WarnsOnlyWhereKubeletReadsItDifferently(string server, bool verify, string? problem)
    {
        var result = ServerKeyLint.KeyProblem(server, verify);

        if (problem is null) Assert.Null(result);
        else Assert.Contains(problem, result, StringComparison.Ordinal);
    }

    private sealed class NoCluster : IKubernetesClientProvider
    {
        public k8s.IKubernetes Client => throw new Xunit.Sdk.XunitException("validate must not connect to a cluster");
    }
}

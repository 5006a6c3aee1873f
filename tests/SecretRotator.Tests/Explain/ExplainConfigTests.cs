using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Explain;

/// <summary><c>explain --config F</c>: against what a run of F would write, without a cluster.</summary>
public sealed class ExplainConfigTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-explain-");

    public void Dispose() => _dir.Delete(recursive: true);

    private async Task<(int Code, string Stdout, string Stderr)> ExplainAsync(params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "p.txt"), "secret-pass", ct);
        var config = Path.Combine(_dir.FullName, "config.yaml");
        await File.WriteAllTextAsync(config, """
            registries:
              - name: ghcr
                type: static
                server: ghcr.io
                username: bot
                password: {file: p.txt}
              - name: shared
                type: mirror
                source: {namespace: platform, name: pull}
              - name: gar
                type: gcr
                servers: [europe-docker.pkg.dev]
                credentialsFile: p.txt
            secrets:
              - name: regcred
                registries: [ghcr, shared]
                namespaces: {names: ["team-*"]}
                serviceAccounts: [default]
              - name: gar-pull
                registries: [gar]
                namespaces: {names: [team-a]}
            """, ct);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, s => s.AddSingleton<IKubernetesClientProvider>(new NoCluster()));
        var code = await app.RunAsync(["explain", .. args, "--config", config], ct);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Explain_ConfigSelectsNamespaceAndAccount_MatchesWithoutACluster()
    {
        var (code, stdout, stderr) = await ExplainAsync("ghcr.io/acme/web", "-n", "team-a");

        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("view:     service account default in namespace team-a (what a run of the config would write)", stdout);
        Assert.Contains("result:   kubelet uses secret regcred, entry \"ghcr.io\" (registry ghcr, does not expire)", stdout);
        Assert.Contains("note:     registry shared was not fetched (it reads from the cluster and no cluster connection is configured)", stdout);
        Assert.DoesNotContain("secret-pass", stdout + stderr);
    }

    [Fact]
    public async Task Explain_TargetNotListingTheAccount_SaysToAddItToServiceAccounts()
    {
        var (code, stdout, _) = await ExplainAsync("europe-docker.pkg.dev/proj/repo/app", "-n", "team-a");

        Assert.True(code == 1, stdout);
        Assert.Contains("not referenced: secret gar-pull in namespace team-a has entry \"europe-docker.pkg.dev\" for this image (registry gar, not fetched, expiry unknown), "
            + "but service account default does not list it in imagePullSecrets (add default to serviceAccounts of secret gar-pull)", stdout);
        Assert.Contains("note:     registry gar was not fetched (Google credentials file", stdout);
        Assert.Contains("explained with the servers its config names: europe-docker.pkg.dev", stdout);
    }

    [Fact]
    public async Task Explain_NamespaceNoSecretSelects_SaysSo()
    {
        var (code, stdout, _) = await ExplainAsync("ghcr.io/acme/web", "-n", "prod", "-o", "json");

        Assert.Equal(1, code);
        Assert.Contains("no secret of", stdout);
        Assert.Contains("\"match\": null", stdout);
    }

    private sealed class NoCluster : IKubernetesClientProvider
    {
        public k8s.IKubernetes Client => throw new k8s.Exceptions.KubeConfigException("no cluster in this test");
    }
}

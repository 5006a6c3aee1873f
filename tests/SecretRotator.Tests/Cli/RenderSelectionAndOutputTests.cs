using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>render prints what run would write: the same namespace choice, the same --secret rule, YAML or JSON.</summary>
public sealed class RenderSelectionAndOutputTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-render-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Config(string namespaces)
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "p.txt"), "pw\n");
        var path = Path.Combine(_dir.FullName, "c.yaml");
        File.WriteAllText(path, $$$"""
            registries:
              - {name: r, type: static, server: ghcr.io, username: u, password: {file: p.txt}}
            secrets:
              - {name: regcred, registries: [r], namespaces: {{{namespaces}}}}
              - {name: other, registries: [r], namespaces: {names: [default]}}
            """);
        return path;
    }

    private static async Task<CliResult> RenderAsync(IKubernetesClientProvider? cluster, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, s =>
        {
            s.AddSingleton<IKubernetesClientProvider>(cluster ?? new UnconfiguredProvider());
            s.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 1, 6, 16, TimeSpan.Zero)));
        });
        var code = await app.RunAsync(["render", .. args], Ct);
        return new CliResult(code, stdout.ToString(), stderr.ToString(), "");
    }

    private static List<string> Namespaces(string yaml) =>
        [.. KubernetesYaml.LoadAllFromString(yaml).Cast<V1Secret>().Select(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}")];

    [Fact]
    public async Task Render_NamespaceOptionWithGlobsAndExclude_RendersWhatTheSelectionAllows()
    {
        var config = Config("{names: [\"team-*\", default], exclude: [team-old]}");

        var result = await RenderAsync(null, "--config", config, "--secret", "regcred", "-n", "team-a", "-n", "team-old", "-n", "prod", "-n", "default");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["default/regcred", "team-a/regcred"], Namespaces(result.Stdout));
    }

    [Fact]
    public async Task Render_SelectorWithoutACluster_Exits2SayingItNeedsOne()
    {
        var config = Config("{names: [default], selector: \"pull-secrets=enabled\"}");

        var result = await RenderAsync(null, "--config", config, "--namespace", "default");

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("secret regcred selects namespaces by label selector 'pull-secrets=enabled', which needs a cluster", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Render_SelectorWithTheCluster_RendersTheNamespacesRunWouldWrite()
    {
        // Arrange: the selector and the names are ANDed, as in run: team-b lacks the label.
        await using var api = await Fakes.Kubernetes.FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        api.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        api.AddNamespace("team-b");
        var config = Config("{names: [\"team-*\", team-b], selector: \"pull-secrets=enabled\"}");

        var result = await RenderAsync(new FixedKubernetesClientProvider(api.CreateClient()), "--config", config, "--secret", "regcred");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["team-a/regcred"], Namespaces(result.Stdout));
        Assert.Contains("warning: secret regcred: namespace team-b is named in the config, but the selector 'pull-secrets=enabled' does not select it", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(api.Writes);
    }

    [Fact]
    public async Task Render_UnknownSecret_Exits2NamingTheKnownOnes()
    {
        var result = await RenderAsync(null, "--config", Config("{names: [default]}"), "--secret", "regcerd");

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--secret regcerd: no such secret", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("known: regcred, other", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_OutputJson_PrintsAListOfTheSameSecretsAsYaml()
    {
        var config = Config("{names: [default, team-a]}");

        var yaml = await RenderAsync(null, "--config", config);
        var json = await RenderAsync(null, "--config", config, "-o", "json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using var list = JsonDocument.Parse(json.Stdout);
        Assert.Equal("List", list.RootElement.GetProperty("kind").GetString());
        var fromJson = list.RootElement.GetProperty("items").EnumerateArray().Select(i => KubernetesJson.Deserialize<V1Secret>(i.GetRawText())).ToList();
        var fromYaml = KubernetesYaml.LoadAllFromString(yaml.Stdout).Cast<V1Secret>().ToList();
        Assert.Equal(fromYaml.Select(ManifestYaml.Serialize), fromJson.Select(ManifestYaml.Serialize));
        Assert.Equal(3, fromJson.Count);
    }

    [Fact]
    public async Task Render_OutputJsonOneSecret_PrintsTheObjectItself()
    {
        var result = await RenderAsync(null, "--config", Config("{names: [default]}"), "--secret", "regcred", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("regcred", KubernetesJson.Deserialize<V1Secret>(result.Stdout).Metadata.Name);
    }

    [Fact]
    public async Task Render_Yaml_EqualsKubectlsYamlOfTheSameObject()
    {
        // Arrange
        var kubectl = Kubectl.FindOrSkip();
        var config = Config("{names: [default]}");
        var yaml = await RenderAsync(null, "--config", config, "--secret", "regcred");
        var json = await RenderAsync(null, "--config", config, "--secret", "regcred", "-o", "json");
        var file = Path.Combine(_dir.FullName, "secret.json");
        await File.WriteAllTextAsync(file, json.Stdout, Ct);

        // Act
        var theirs = await Kubectl.ToYamlAsync(kubectl, file, Ct);

        // Assert: rotated-at (a timestamp) is quoted in both.
        Assert.Equal(theirs, yaml.Stdout);
        Assert.Contains("secret-rotator.io/rotated-at: \"2026-12-01T01:06:16Z\"", yaml.Stdout, StringComparison.Ordinal);
    }

    private sealed class UnconfiguredProvider : IKubernetesClientProvider
    {
        public IKubernetes Client => throw new k8s.Exceptions.KubeConfigException("no Kubernetes connection");
    }
}

using System.Text;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Mirror;

/// <summary><c>type: mirror</c> through <c>run</c> against the fake API server: copy an existing pull secret everywhere.</summary>
public sealed class MirrorRunTests
{
    private const string TwoServers =
        """{"auths":{"quay.io":{"username":"q","password":"qpass","auth":"cTpxcGFzcw=="},"registry.local:5000":{"auth":"bG9jYWw6bHBhc3M="}}}""";

    private static V1Secret Source(string type, string key, string json) => new()
    {
        Metadata = new V1ObjectMeta { Name = "pull", NamespaceProperty = "shared", Labels = new Dictionary<string, string> { ["owner"] = "platform" } },
        Type = type,
        Data = new Dictionary<string, byte[]> { [key] = Encoding.UTF8.GetBytes(json) },
    };

    private static string Config(RotatorHarness h)
    {
        h.WriteFile("ghcr.txt", "ghcr-pass");
        return h.WriteConfig("""
            registries:
              - name: copied
                type: mirror
                source: {namespace: shared, name: pull}
              - name: ghcr
                type: static
                server: ghcr.io
                username: bot
                password: {file: ghcr.txt}
            secrets:
              - name: regcred
                registries: [copied, ghcr]
                namespaces: {names: [default, team-a]}
            """);
    }

    private static IReadOnlyDictionary<string, DockerAuthEntry> Entries(RotatorHarness h, string ns) =>
        DockerConfigJson.TryParse(h.Secret(ns, "regcred").Data[ManagedSecret.DataKey])!;

    [Fact]
    public async Task Run_MirrorSource_MergesEverySourceEntryIntoEveryTargetAndNeverWritesTheSource()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a", "shared");
        var source = h.Api.AddSecret(Source(ManagedSecret.SecretType, ManagedSecret.DataKey, TwoServers));

        var result = await h.RunCliAsync("run", "--config", Config(h));

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var ns in new[] { "default", "team-a" })
        {
            var entries = Entries(h, ns);
            Assert.Equal(["ghcr.io", "quay.io", "registry.local:5000"], entries.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(("q", "qpass"), (entries["quay.io"].Username, entries["quay.io"].Password));
            Assert.Equal(("local", "lpass"), (entries["registry.local:5000"].Username, entries["registry.local:5000"].Password));
        }
        var after = h.Secret("shared", "pull");
        Assert.Equal(source.ResourceVersion(), after.ResourceVersion());
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "platform" }, after.Metadata.Labels);
        Assert.DoesNotContain(h.Api.Writes, w => w.Namespace == "shared");
        Assert.DoesNotContain("qpass", result.All);
    }

    [Fact]
    public async Task Run_SourceChanged_NextRunUpdatesEveryCopy()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a", "shared");
        h.Api.AddSecret(Source(ManagedSecret.SecretType, ManagedSecret.DataKey, TwoServers));
        var config = Config(h);
        await h.RunCliAsync("run", "--config", config);
        var changed = h.Secret("shared", "pull");
        changed.Data[ManagedSecret.DataKey] = Encoding.UTF8.GetBytes("""{"auths":{"quay.io":{"username":"q","password":"rotated"}}}""");
        h.Api.ReplaceSecret(changed);

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var ns in new[] { "default", "team-a" })
        {
            var entries = Entries(h, ns);
            Assert.Equal(["ghcr.io", "quay.io"], entries.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("rotated", entries["quay.io"].Password);
        }
        Assert.Contains("secret regcred: 0 created, 2 updated", result.Stdout);
    }

    [Fact]
    public async Task Run_LegacyDockercfgSource_IsCopied()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a", "shared");
        h.Api.AddSecret(Source("kubernetes.io/dockercfg", ".dockercfg", """{"quay.io":{"username":"q","password":"qpass","email":"q@example.com"}}"""));

        var result = await h.RunCliAsync("run", "--config", Config(h));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("q@example.com", Entries(h, "default")["quay.io"].Email);
    }

    [Fact]
    public async Task Run_SourceDeleted_FailsTheRegistrySayingWhichAndKeepsPreviousEntries()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a", "shared");
        h.Api.AddSecret(Source(ManagedSecret.SecretType, ManagedSecret.DataKey, TwoServers));
        var config = Config(h);
        await h.RunCliAsync("run", "--config", config);
        h.Api.DeleteSecret("shared", "pull");

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("registry copied: FAILED (source_missing): registry copied: source secret shared/pull not found", result.Stdout);
        Assert.Equal(["ghcr.io", "quay.io", "registry.local:5000"], Entries(h, "default").Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Opaque", ".dockerconfigjson", TwoServers, "has type Opaque; a mirror source must be kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg")]
    [InlineData("kubernetes.io/dockerconfigjson", ".dockerconfigjson", """{"quay.io":{}}""", "has .dockerconfigjson without an \"auths\" object")]
    [InlineData("kubernetes.io/dockerconfigjson", ".dockerconfigjson", """{"auths":{}}""", "has no entries in .dockerconfigjson")]
    [InlineData("kubernetes.io/dockerconfigjson", ".dockerconfigjson", """{"auths":{"ok.io":{"auth":"dTpw"},"quay.io":{"identitytoken":"t"}}}""", "has an entry 'quay.io' without a username and password")]
    public async Task Run_MalformedSource_FailsOnlyThatRegistryWithAMessageSayingWhy(string type, string key, string json, string problem)
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a", "shared");
        h.Api.AddSecret(Source(type, key, json));

        var result = await h.RunCliAsync("run", "--config", Config(h));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"registry copied: FAILED (source_malformed): registry copied: source secret shared/pull {problem}", result.Stdout);
        Assert.Equal(["ghcr.io"], Entries(h, "default").Keys);
    }

    // The API server refuses typed secrets with invalid JSON or without their key, so these are only reachable through
    // an older or non-validating server; the provider still says what is wrong.
    [Theory]
    [InlineData(".dockerconfigjson", "{not json", "has .dockerconfigjson that is not valid JSON")]
    [InlineData(".dockercfg", TwoServers, "has no .dockerconfigjson data")]
    public void Entries_UnvalidatedSource_FailsSayingWhy(string key, string json, string problem)
    {
        var secret = Source(ManagedSecret.SecretType, key, json);

        var e = Assert.Throws<Registries.RegistryException>(() =>
            Registries.Mirror.MirrorRegistryProvider.Entries("copied", new("shared", "pull"), secret));

        Assert.Equal(("source_malformed", $"registry copied: source secret shared/pull {problem}"), (e.Reason, e.Message));
    }
}

using System.Text;
using k8s.Models;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Rbac;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Chart;

/// <summary>
/// The real CLI against the fake API server, which serves only what the chart's rendered RBAC grants (as a cluster
/// would). Nothing the tool does may be forbidden, except the cluster-wide lists it is built to fall back from, and every
/// verb the chart grants must be used by some step, so a new API call cannot ship without its rule and a rule cannot
/// outlive its call.
/// </summary>
public sealed class RbacEnforcementTests
{
    private const string ClusterValues = """
        config:
          registries:
            - name: ghcr
              type: static
              server: ghcr.io
              username: bot
              password: {secret: {namespace: secret-rotator, name: ghcr-token, key: token}}
          secrets:
            - name: regcred
              registries: [ghcr]
              namespaces: {names: ["team-*"]}
              serviceAccounts: [default]
          settings:
            prune: true
        """;

    [Fact]
    public async Task Run_ClusterScopeWithGlobServiceAccountsAndPrune_NothingForbiddenEveryGrantUsed()
    {
        var rendered = await Render(ClusterValues);
        var grants = RenderedRbac.Grants(rendered);
        await using var harness = await RotatorHarness.StartAsync(HelmChart.Namespace, "team-a", "team-b", "other");
        AddTokenSecret(harness);
        // A secret this installation wrote into "other" earlier, linked to its default account: prune deletes and unlinks it.
        harness.Api.AddSecret(ManagedSecretIn("other"));
        var account = harness.Api.GetServiceAccount("other", "default")!;
        account.ImagePullSecrets = [new V1LocalObjectReference { Name = "regcred" }];
        account.SetAnnotation(ManagedSecret.AddedPullSecretsAnnotation, "regcred");
        harness.Api.ReplaceServiceAccount(account);
        harness.Api.Allow = r => RenderedRbac.Allows(grants, r);
        var config = harness.WriteConfig(rendered.ConfigYaml);

        var run = await harness.RunCliAsync("run", "--config", config);
        var token = harness.Api.GetSecret(HelmChart.Namespace, "ghcr-token")!;
        token.Data["token"] = "ghp_rotated"u8.ToArray();
        harness.Api.ReplaceSecret(token);
        var rotated = await harness.RunCliAsync("run", "--config", config);
        harness.Api.AddNamespace("team-c");
        var dryRun = await harness.RunCliAsync("run", "--config", config, "--dry-run");

        Assert.True(run.ExitCode == CliApp.ExitOk, run.ToString());
        Assert.True(rotated.ExitCode == CliApp.ExitOk, rotated.ToString());
        Assert.True(dryRun.ExitCode == CliApp.ExitOk, dryRun.ToString());
        Assert.NotNull(harness.Api.GetSecret("team-a", "regcred"));
        Assert.Null(harness.Api.GetSecret("other", "regcred"));
        Assert.Empty(harness.Api.Journal.Where(r => r.StatusCode == 403).Select(Describe));
        // serviceaccounts get: a cluster-wide pass holds every account from its LIST and GETs one only on a 409
        // re-read or when the account appeared after the LIST; neither happens here (the namespaced test uses it).
        AssertEveryGrantUsed(grants, harness.Api.Journal, exempt: "serviceaccounts get");
    }

    [Fact]
    public async Task Run_NamespacedScope_OnlyTheClusterWideListsItFallsBackFromAreForbidden()
    {
        var rendered = await HelmChart.TemplateAsync("namespaced-values.yaml");
        var grants = RenderedRbac.Grants(rendered);
        await using var harness = await RotatorHarness.StartAsync(HelmChart.Namespace, "team-a", "team-b", "ci", "unrelated");
        AddTokenSecret(harness);
        harness.Api.AddSecret(new V1Secret { Metadata = new() { Name = "other-token", NamespaceProperty = HelmChart.Namespace }, Data = new Dictionary<string, byte[]> { ["token"] = "x"u8.ToArray() } });
        harness.Api.Allow = r => RenderedRbac.Allows(grants, r);
        var config = harness.WriteConfig(rendered.ConfigYaml);

        var run = await harness.RunCliAsync("run", "--config", config);
        var token = harness.Api.GetSecret(HelmChart.Namespace, "ghcr-token")!;
        token.Data["token"] = "ghp_rotated"u8.ToArray();
        harness.Api.ReplaceSecret(token);
        var rotated = await harness.RunCliAsync("run", "--config", config);

        Assert.True(run.ExitCode == CliApp.ExitOk, run.ToString());
        Assert.True(rotated.ExitCode == CliApp.ExitOk, rotated.ToString());
        Assert.NotNull(harness.Api.GetSecret("team-a", "regcred"));
        Assert.NotNull(harness.Api.GetSecret("ci", "ci-pull"));
        Assert.Contains("regcred", harness.Api.GetServiceAccount("team-b", "default")!.ImagePullSecrets?.Select(s => s.Name) ?? [], StringComparer.Ordinal);
        var forbidden = harness.Api.Journal.Where(r => r.StatusCode == 403).ToList();
        Assert.All(forbidden, r => Assert.True(r is { Verb: "list", Namespace: null, Resource: "secrets" or "serviceaccounts" }, Describe(r)));
        AssertEveryGrantUsed(grants, harness.Api.Journal);
        Assert.False(RenderedRbac.Allows(grants, new KubeRequestInfo("GET", "", "", "get", "secrets", HelmChart.Namespace, "other-token")),
            "the token Role must name only the Secrets the config reads");
    }

    [Fact]
    public async Task Run_NamespacedMirror_ReadsOnlyItsSourceAndOnlyTheFallbackListsAreForbidden()
    {
        var rendered = await HelmChart.TemplateAsync("mirror-values.yaml");
        var grants = RenderedRbac.Grants(rendered);
        await using var harness = await RotatorHarness.StartAsync(HelmChart.Namespace, "team-a", "team-b");
        harness.Api.AddSecret(new V1Secret
        {
            Metadata = new() { Name = "corp-pull", NamespaceProperty = HelmChart.Namespace },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = """{"auths":{"registry.corp.example":{"username":"builder","password":"p"}}}"""u8.ToArray() },
        });
        harness.Api.Allow = r => RenderedRbac.Allows(grants, r);

        var config = harness.WriteConfig(rendered.ConfigYaml);

        var run = await harness.RunCliAsync("run", "--config", config);
        var source = harness.Api.GetSecret(HelmChart.Namespace, "corp-pull")!;
        source.Data[ManagedSecret.DataKey] = """{"auths":{"registry.corp.example":{"username":"builder","password":"rotated"}}}"""u8.ToArray();
        harness.Api.ReplaceSecret(source);
        var rotated = await harness.RunCliAsync("run", "--config", config);

        Assert.True(run.ExitCode == CliApp.ExitOk, run.ToString());
        Assert.True(rotated.ExitCode == CliApp.ExitOk, rotated.ToString());
        Assert.Equal("rotated", DockerConfigJson.TryParse(harness.Api.GetSecret("team-a", "corp-pull")!.Data[ManagedSecret.DataKey])!["registry.corp.example"].Password);
        Assert.NotNull(harness.Api.GetSecret("team-b", "corp-pull"));
        Assert.Contains(harness.Api.Journal, r => r is { Verb: "get", Resource: "secrets", Namespace: HelmChart.Namespace, Name: "corp-pull", StatusCode: 200 });
        var forbidden = harness.Api.Journal.Where(r => r.StatusCode == 403).ToList();
        Assert.All(forbidden, r => Assert.True(r is { Verb: "list", Namespace: null, Resource: "secrets" or "serviceaccounts" }, Describe(r)));
        AssertEveryGrantUsed(grants, harness.Api.Journal);
        Assert.False(RenderedRbac.Allows(grants, new KubeRequestInfo("GET", "", "", "get", "secrets", HelmChart.Namespace, "other")),
            "the source Role must name only the mirrored Secret");
    }

    [Fact]
    public async Task Template_NamespacedDaemonMirror_SourceRoleGetListWatchOnThatSecretAsTheToolSays()
    {
        var result = await HelmChart.TemplateRawAsync("-f", Path.Combine(HelmChart.Directory, "ci", "mirror-values.yaml"), "--set", "mode=daemon");
        Assert.True(result.ExitCode == 0, result.ToString());
        var rendered = Rendered.Parse(result.Stdout);
        using var pod = PodView.Of(rendered);
        var config = ChartRbacTests.LoadConfig(pod.WriteConfig(rendered.ConfigYaml));

        var expected = RbacRules.For(config, RbacScope.Namespaced, daemon: true);

        Assert.Equal(RenderedRbac.Canonical(expected), RenderedRbac.Canonical(RenderedRbac.Grants(rendered)));
        var source = Assert.Single(RenderedRbac.Grants(rendered), g => g.Namespace == HelmChart.Namespace);
        var rule = Assert.Single(source.Rules);
        Assert.Equal(["corp-pull"], rule.ResourceNames);
        Assert.Equal(["get", "list", "watch"], rule.Verbs);
        Assert.True(RenderedRbac.Allows([source], new KubeRequestInfo("GET", "", "", "watch", "secrets", HelmChart.Namespace, "corp-pull")));
    }

    [Fact]
    public async Task Run_GrantWithoutServiceAccountPatch_FailsForbidden()
    {
        // Proves the enforcement bites: the same config with one verb removed fails with reason forbidden.
        var rendered = await Render(ClusterValues);
        var grants = RenderedRbac.Grants(rendered).Select(g => g with
        {
            Rules = [.. g.Rules.Select(r => r.Resources.Contains("serviceaccounts") ? new V1PolicyRule { ApiGroups = r.ApiGroups, Resources = r.Resources, Verbs = [.. r.Verbs.Where(v => v != "patch")] } : r)],
        }).ToList();
        await using var harness = await RotatorHarness.StartAsync(HelmChart.Namespace, "team-a");
        AddTokenSecret(harness);
        harness.Api.Allow = r => RenderedRbac.Allows(grants, r);

        var run = await harness.RunCliAsync("run", "--config", harness.WriteConfig(rendered.ConfigYaml));

        Assert.Equal(CliApp.ExitFailed, run.ExitCode);
        Assert.Contains(harness.Api.Journal, r => r is { StatusCode: 403, Verb: "patch", Resource: "serviceaccounts" });
    }

    private static async Task<Rendered> Render(string values)
    {
        var result = await HelmChart.TemplateWithValuesAsync(values);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Rendered.Parse(result.Stdout);
    }

    private static void AssertEveryGrantUsed(IReadOnlyList<RbacGrant> grants, IEnumerable<KubeRequestRecord> journal, string? exempt = null)
    {
        var used = journal.Where(r => r.StatusCode is > 0 and not 403).Select(r => $"{r.Resource} {r.Verb}").ToHashSet(StringComparer.Ordinal);
        Assert.Empty(RenderedRbac.Verbs(grants).Where(v => !used.Contains(v) && v != exempt).Order(StringComparer.Ordinal));
    }

    private static void AddTokenSecret(RotatorHarness harness) =>
        harness.Api.AddSecret(new V1Secret
        {
            Metadata = new() { Name = "ghcr-token", NamespaceProperty = HelmChart.Namespace },
            Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes("ghp_test") },
        });

    private static V1Secret ManagedSecretIn(string ns) => new()
    {
        Metadata = new()
        {
            Name = "regcred",
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue, [ManagedSecret.InstanceLabel] = "default" },
        },
        Type = ManagedSecret.SecretType,
        Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = """{"auths":{}}"""u8.ToArray() },
    };

    private static string Describe(KubeRequestRecord r) => $"{r.StatusCode} {r.Verb} {r.Resource} ns={r.Namespace} name={r.Name}";
}

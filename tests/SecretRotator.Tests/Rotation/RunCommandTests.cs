using System.Text;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

public sealed class RunCommandTests
{
    // Case 1 of TestData/dockerconfigjson-cases.txt: the inputs of kubectl's own unit test.
    private static readonly string[] KubectlCase = TestData.Rows("dockerconfigjson-cases.txt").First();

    internal static string Config(RotatorHarness h, string namespaces = "names: [default, team-a]", string extra = "", string serviceAccounts = "[]")
    {
        h.WriteFile("password.txt", KubectlCase[2]);
        return h.WriteConfig($$"""
            registries:
              - name: hub
                type: static
                server: {{KubectlCase[0]}}
                username: {{KubectlCase[1]}}
                password: {file: password.txt}
                email: {{KubectlCase[3]}}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces:
                  {{namespaces}}
                serviceAccounts: {{serviceAccounts}}
            {{extra}}
            """);
    }

    [Fact]
    public async Task Run_FirstRun_CreatesSecretsWithKubectlBytes()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        var config = Config(h);

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var ns in new[] { "default", "team-a" })
        {
            var secret = h.Secret(ns, "regcred");
            Assert.Equal(ManagedSecret.SecretType, secret.Type);
            Assert.Equal(KubectlCase[5], Encoding.UTF8.GetString(secret.Data[ManagedSecret.DataKey]));
            Assert.Equal(ManagedSecret.ManagedByValue, secret.GetLabel(ManagedSecret.ManagedByLabel));
            Assert.Equal("hub", secret.GetAnnotation(ManagedSecret.RegistriesAnnotation));
            Assert.Equal("2026-11-26T12:00:00Z", secret.GetAnnotation(ManagedSecret.RotatedAtAnnotation));
            Assert.Null(secret.GetAnnotation(ManagedSecret.ExpiresAtAnnotation));
        }
        Assert.Contains("secret regcred: 2 created, 0 updated, 0 unchanged, 0 failed, 0 foreign", result.Stdout);
    }

    [Fact]
    public async Task Run_SecondRun_LeavesEverythingUnchangedWithZeroWrites()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        var config = Config(h, serviceAccounts: "[default]");
        await h.RunCliAsync("run", "--config", config);
        var before = h.Secret("default", "regcred").ResourceVersion();
        h.Api.ClearJournal();
        h.Time.Advance(TimeSpan.FromHours(2));

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(h.Api.Writes);
        Assert.Equal(before, h.Secret("default", "regcred").ResourceVersion());
        Assert.Equal("2026-11-26T12:00:00Z", h.Secret("default", "regcred").GetAnnotation(ManagedSecret.RotatedAtAnnotation));
        Assert.Contains("secret regcred: 0 created, 0 updated, 2 unchanged", result.Stdout);
    }

    [Fact]
    public async Task Run_PasswordChanged_UpdatesWithResourceVersionAndNewRotationTime()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = Config(h, "names: [default]");
        await h.RunCliAsync("run", "--config", config);
        h.WriteFile("password.txt", "new-password");
        h.Time.Advance(TimeSpan.FromMinutes(5));

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(0, result.ExitCode);
        var secret = h.Secret("default", "regcred");
        Assert.Contains("\"password\":\"new-password\"", Encoding.UTF8.GetString(secret.Data[ManagedSecret.DataKey]));
        Assert.Equal("2026-11-26T12:05:00Z", secret.GetAnnotation(ManagedSecret.RotatedAtAnnotation));
        Assert.Equal(1, h.Api.CountRequests("update", "secrets"));
    }

    [Fact]
    public async Task Run_ForeignSecretExists_LeavesItAndExits1()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        var foreign = h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "team-a" },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = Encoding.UTF8.GetBytes("{\"auths\":{}}") },
        });

        var result = await h.RunCliAsync("run", "--config", Config(h));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(foreign.ResourceVersion(), h.Secret("team-a", "regcred").ResourceVersion());
        Assert.NotNull(h.Secret("default", "regcred"));
        Assert.Contains("1 created, 0 updated, 0 unchanged, 0 failed, 1 foreign", result.Stdout);
        Assert.Contains("FAILED team-a/regcred: foreign", result.Stdout);
    }

    [Fact]
    public async Task Run_ForeignSecretWithAdopt_TakesItOverKeepingOwnerMetadata()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["team"] = "a" } },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = Encoding.UTF8.GetBytes("{\"auths\":{}}") },
        });

        var result = await h.RunCliAsync("run", "--config", Config(h, "names: [default]", "settings: {adopt: true}"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var secret = h.Secret("default", "regcred");
        Assert.Equal(ManagedSecret.ManagedByValue, secret.GetLabel(ManagedSecret.ManagedByLabel));
        Assert.Equal("a", secret.GetLabel("team"));
        Assert.Equal(KubectlCase[5], Encoding.UTF8.GetString(secret.Data[ManagedSecret.DataKey]));
    }

    [Fact]
    public async Task Run_ServiceAccountHasOtherEntries_AddsOnceAndKeepsThem()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var sa = h.Api.GetServiceAccount("default", "default")!;
        sa.ImagePullSecrets = [new V1LocalObjectReference { Name = "existing-1" }, new V1LocalObjectReference { Name = "existing-2" }];
        h.Api.ReplaceServiceAccount(sa);
        var config = Config(h, "names: [default]", serviceAccounts: "[default]");

        await h.RunCliAsync("run", "--config", config);
        var second = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(0, second.ExitCode);
        var names = h.Api.GetServiceAccount("default", "default")!.ImagePullSecrets.Select(r => r.Name).ToList();
        Assert.Equal(["existing-1", "existing-2", "regcred"], names);
        Assert.Equal("regcred", h.Api.GetServiceAccount("default", "default")!.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation));
        Assert.Equal(1, h.Api.CountRequests("patch", "serviceaccounts"));
    }

    [Fact]
    public async Task Run_ReplaceHitsConflict_RereadsAndSucceeds()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = Config(h, "names: [default]");
        await h.RunCliAsync("run", "--config", config);
        h.WriteFile("password.txt", "rotated");
        var interfered = false;
        h.Api.FaultHook = request =>
        {
            // Another writer touches the secret between our LIST and our PUT: our resourceVersion goes stale.
            if (request.Verb == "update" && request.Resource == "secrets" && !interfered)
            {
                interfered = true;
                var s = h.Api.GetSecret("default", "regcred")!;
                s.Metadata.Annotations["someone-else"] = "was-here";
                h.Api.ReplaceSecret(s);
            }
            return null;
        };

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(interfered);
        Assert.Equal(2, h.Api.CountRequests("update", "secrets"));
        Assert.Contains(h.Api.Journal, r => r.Verb == "update" && r.StatusCode == 409);
        var secret = h.Secret("default", "regcred");
        Assert.Contains("rotated", Encoding.UTF8.GetString(secret.Data[ManagedSecret.DataKey]));
        Assert.Equal("was-here", secret.GetAnnotation("someone-else"));
    }

    [Fact]
    public async Task Run_DryRun_WritesNothingAndPrintsPlan()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");

        var result = await h.RunCliAsync("run", "--config", Config(h), "--dry-run");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(h.Api.Writes);
        Assert.Contains("dry-run: default/regcred: create", result.Stdout);
        Assert.Contains("dry-run: team-a/regcred: create", result.Stdout);
    }

    [Fact]
    public async Task Run_AnyOutcome_NeverPrintsOrLogsThePassword()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        h.Api.FailNext(KubeFault.InternalError(), times: 1, r => r.Verb == "create");
        var config = Config(h, "names: [default, team-a, ghost]", serviceAccounts: "[default, missing-sa]");

        var first = await h.RunCliAsync("run", "--config", config);
        var second = await h.RunCliAsync("run", "--config", config, "--dry-run");

        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{KubectlCase[1]}:{KubectlCase[2]}"));
        foreach (var result in new[] { first, second })
        {
            Assert.NotEqual(0, result.ExitCode); // the failures above must have been reported...
            Assert.DoesNotContain(KubectlCase[2], result.All); // ...without the credential
            Assert.DoesNotContain(auth, result.All);
        }
    }

    [Fact]
    public async Task Run_UnknownSecretFilter_Exits2()
    {
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h), "--secret", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no such secret", result.Stderr);
        Assert.Empty(h.Api.Journal);
    }

    [Fact]
    public async Task Run_BadConfig_Exits2WithFileLineAndFieldAndNoRequests()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = h.WriteConfig("""
            registries:
              - name: hub
                type: static
                server: ghcr.io
                username: u
                password: literal-password
            secrets:
              - name: regcred
                registries: [hub, nope]
                namespaces: {names: [default], selector: "a in b"}
            """);

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{config}:6:", result.Stderr);
        Assert.Contains("registries[0].password", result.Stderr);
        Assert.Contains("secrets[0].registries[1]", result.Stderr);
        Assert.Contains("secrets[0].namespaces.selector", result.Stderr);
        Assert.DoesNotContain("literal-password", result.Stderr);
        Assert.Empty(h.Api.Journal);
    }
}

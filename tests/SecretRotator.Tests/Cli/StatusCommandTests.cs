using System.Text;
using System.Text.Json;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary><c>status</c> through the CLI against the fake API server: states, order, JSON, exit codes, read-only.</summary>
public sealed class StatusCommandTests
{
    private static readonly string[] Namespaces = ["ns-ok", "ns-expiring", "ns-expired", "ns-missing", "ns-foreign", "ns-orphan"];

    private static string Config(RotatorHarness h, string names = "[ns-ok, ns-expiring, ns-expired, ns-missing, ns-foreign]")
    {
        h.WriteFile("hub.txt", "hub-password");
        return h.WriteConfig($$"""
            registries:
              - name: hub
                type: static
                server: registry.example.com
                username: robot
                password: {file: hub.txt}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {names: {{names}}}
            settings: {refreshBefore: 1h}
            """);
    }

    /// <summary>A secret as a run of installation <paramref name="instance"/> would have left it.</summary>
    private static V1Secret Managed(RotatorHarness h, string ns, TimeSpan expiresIn, string name = "regcred", string instance = "default") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue, [ManagedSecret.InstanceLabel] = instance },
            Annotations = new Dictionary<string, string>
            {
                [ManagedSecret.RegistriesAnnotation] = "hub",
                [ManagedSecret.RotatedAtAnnotation] = Format(h.Time.GetUtcNow() - TimeSpan.FromHours(3)),
                [ManagedSecret.ExpiresAtAnnotation] = Format(h.Time.GetUtcNow() + expiresIn),
            },
        },
        Type = ManagedSecret.SecretType,
        Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = Encoding.UTF8.GetBytes("{\"auths\":{}}") },
    };

    private static string Format(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One secret in every state, plus a managed secret of another installation that must not appear.</summary>
    private static async Task<RotatorHarness> EveryStateAsync()
    {
        var h = await RotatorHarness.StartAsync(Namespaces);
        h.Api.AddSecret(Managed(h, "ns-ok", TimeSpan.FromHours(5)));
        h.Api.AddSecret(Managed(h, "ns-expiring", TimeSpan.FromMinutes(30)));
        h.Api.AddSecret(Managed(h, "ns-expired", -TimeSpan.FromMinutes(10)));
        h.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "ns-foreign" }, Type = "Opaque" });
        h.Api.AddSecret(Managed(h, "ns-orphan", TimeSpan.FromHours(2)));
        h.Api.AddSecret(Managed(h, "ns-orphan", TimeSpan.FromMinutes(1), name: "other-installation", instance: "team-b"));
        return h;
    }

    private static List<string[]> Rows(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).SkipLast(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();

    [Fact]
    public async Task Status_EveryState_ListsEachSoonestExpiryFirst()
    {
        await using var h = await EveryStateAsync();

        var result = await h.RunCliAsync("status", "--config", Config(h));

        var rows = Rows(result.Stdout);
        Assert.Equal(["ns-expired", "ns-expiring", "ns-orphan", "ns-ok", "ns-foreign", "ns-missing"], rows.Select(r => r[0]));
        Assert.Equal(["expired", "expiring", "orphaned", "ok", "foreign", "missing"], rows.Select(r => r[^1]));
        Assert.Equal(["-10m", "30m", "2h", "5h", "-", "-"], rows.Select(r => r[^2]));
        Assert.All(rows, r => Assert.Equal("regcred", r[1]));
        Assert.Equal(["hub", "2026-11-26T09:00:00Z"], rows[0][2..4]);
        Assert.DoesNotContain("other-installation", result.Stdout);
        Assert.StartsWith("NAMESPACE", result.Stdout);
        Assert.EndsWith("6 secrets: 1 ok, 1 expiring, 1 expired, 1 missing, 1 foreign, 1 orphaned\n", result.Stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Status_MissingAndExpired_Exits1()
    {
        await using var h = await EveryStateAsync();

        var result = await h.RunCliAsync("status", "--config", Config(h));

        Assert.True(result.ExitCode == 1, result.ToString());
    }

    [Fact]
    public async Task Status_ExpiringForeignAndOrphaned_Exits0()
    {
        await using var h = await EveryStateAsync();

        var result = await h.RunCliAsync("status", "--config", Config(h, "[ns-ok, ns-expiring, ns-foreign]"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["orphaned", "expiring", "orphaned", "ok", "foreign"], Rows(result.Stdout).Select(r => r[^1]));
    }

    [Fact]
    public async Task Status_OnlyExpired_Exits1()
    {
        await using var h = await RotatorHarness.StartAsync("ns-expired");
        h.Api.AddSecret(Managed(h, "ns-expired", -TimeSpan.FromSeconds(1)));

        var result = await h.RunCliAsync("status", "--config", Config(h, "[ns-expired]"));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("expired", Rows(result.Stdout).Single()[^1]);
    }

    [Fact]
    public async Task Status_OutputJson_HasOneObjectPerSecretWithDocumentedFields()
    {
        await using var h = await EveryStateAsync();

        var result = await h.RunCliAsync("status", "--config", Config(h), "-o", "json");

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("2026-11-26T12:00:00Z", json.RootElement.GetProperty("now").GetString());
        Assert.Empty(json.RootElement.GetProperty("errors").EnumerateArray());
        var secrets = json.RootElement.GetProperty("secrets").EnumerateArray().ToList();
        Assert.Equal(["expired", "expiring", "orphaned", "ok", "foreign", "missing"], secrets.Select(s => s.GetProperty("state").GetString()));
        var expired = secrets[0];
        Assert.Equal("ns-expired", expired.GetProperty("namespace").GetString());
        Assert.Equal("regcred", expired.GetProperty("name").GetString());
        Assert.Equal(["hub"], expired.GetProperty("registries").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("2026-11-26T09:00:00Z", expired.GetProperty("rotatedAt").GetString());
        Assert.Equal("2026-11-26T11:50:00Z", expired.GetProperty("expiresAt").GetString());
        Assert.Equal(-600, expired.GetProperty("expiresInSeconds").GetInt64());
        var missing = secrets[^1];
        Assert.Equal(JsonValueKind.Null, missing.GetProperty("rotatedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, missing.GetProperty("expiresInSeconds").ValueKind);
        Assert.Equal(["hub"], missing.GetProperty("registries").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Status_AnyCase_MakesOnlyGetAndListRequestsAndFetchesNoToken()
    {
        await using var h = await EveryStateAsync();
        h.Api.ClearJournal();

        var result = await h.RunCliAsync("status", "--config", Config(h));

        Assert.NotEmpty(h.Api.Journal);
        Assert.Empty(h.Api.Writes);
        Assert.All(h.Api.Journal, r => Assert.Contains(r.Verb, new[] { "get", "list" }));
        // The GET that tells missing from foreign is the only per-secret request.
        Assert.Equal(2, h.Api.CountRequests("get", "secrets"));
        Assert.DoesNotContain("Registry hub", result.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AfterRun_StaticSecretsAreOkWithoutExpiryAndExit0()
    {
        await using var h = await RotatorHarness.StartAsync("ns-ok", "ns-other");
        var config = Config(h, "[ns-ok, ns-other]");
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", config)).ExitCode);
        h.Time.Advance(TimeSpan.FromDays(30));

        var result = await h.RunCliAsync("status", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = Rows(result.Stdout);
        Assert.Equal(["ns-ok", "ns-other"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(["hub", "2026-11-26T12:00:00Z", "never", "ok"], r[2..]));
    }

    [Fact]
    public async Task Status_SecretDeletedAfterRun_ReportsMissingAndExits1()
    {
        await using var h = await RotatorHarness.StartAsync("ns-ok", "ns-other");
        var config = Config(h, "[ns-ok, ns-other]");
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", config)).ExitCode);
        h.Api.DeleteSecret("ns-other", "regcred");

        var result = await h.RunCliAsync("status", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["ok", "missing"], Rows(result.Stdout).Select(r => r[^1]));
    }

    [Fact]
    public async Task Status_BadConfig_Exits2()
    {
        await using var h = await RotatorHarness.StartAsync();
        var config = h.WriteConfig("registries: []\nsecrets: [{name: x}]\n");

        var result = await h.RunCliAsync("status", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("config.yaml", result.Stderr);
        Assert.Empty(h.Api.Journal);
    }

    [Fact]
    public async Task Status_UnknownOutputFormat_Exits2()
    {
        await using var h = await RotatorHarness.StartAsync();

        var result = await h.RunCliAsync("status", "--config", Config(h), "-o", "yaml");

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Status_NamespaceListForbidden_ReportsErrorAndExits1()
    {
        await using var h = await RotatorHarness.StartAsync("team-a");
        h.Api.Deny(RbacDenyRule.Everywhere("list", "namespaces"));

        var result = await h.RunCliAsync("status", "--config", Config(h, "[\"team-*\"]"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: secret regcred: cannot resolve namespaces", result.Stderr);
    }

    [Fact]
    public async Task Status_SecretsUnreadable_ReportsEachErrorAndExits1()
    {
        await using var h = await RotatorHarness.StartAsync("ns-ok", "ns-other");
        h.Api.AddSecret(Managed(h, "ns-ok", TimeSpan.FromHours(5)));
        h.Api.FaultHook = r => r.Resource == "secrets" && r.Namespace == "ns-other" ? KubeFault.Unavailable() : null;

        var result = await h.RunCliAsync("status", "--config", Config(h, "[ns-ok, ns-other]"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["ok"], Rows(result.Stdout).Select(r => r[^1]));
        Assert.Contains("error: secret ns-other/regcred:", result.Stderr);
        Assert.DoesNotContain("missing", result.Stdout);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>Regression tests for the edge cases an independent review found.</summary>
public sealed class EdgeCaseTests
{
    private static string Config(RotatorHarness h, string extraSecrets = "", string settings = "{}", string namespaces = "[default]", string serviceAccounts = "[]") =>
        h.WriteTwoRegistryConfig(namespaces, settings, serviceAccounts, extraSecrets);

    private static string Data(V1Secret s) => Encoding.UTF8.GetString(s.Data[ManagedSecret.DataKey]);

    [Fact]
    public async Task Run_SecretListFailsAndARegistryFails_KeepsThatRegistrysEntryFromTheReread()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = Config(h);
        await h.RunCliAsync("run", "--config", config);
        h.WriteFile("a.txt", "password-a2");
        h.WriteFile("b.txt", ""); // reg-b fails...
        h.Api.FaultHook = r => r.Verb == "list" && r.Resource == "secrets" ? KubeFault.InternalError() : null; // ...and the LIST too

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        var data = Data(h.Secret("default", "regcred"));
        Assert.Contains("\"password\":\"password-a2\"", data);
        Assert.Contains("\"b.example.com\":{\"username\":\"ub\",\"password\":\"password-b\"", data);
    }

    [Fact]
    public async Task Run_TypeChangeAndCreateFails_SaysTheSecretWasDeletedAndNextRunRecreatesIt()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "default", Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue } },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["x"] = [1] },
        });
        h.Api.FaultHook = r => r.Verb == "create" && r.Resource == "secrets" ? KubeFault.InternalError() : null;
        var config = Config(h);

        var failed = await h.RunCliAsync("run", "--config", config);
        h.Api.FaultHook = null;
        var next = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("the secret was deleted to change its type and could not be recreated", failed.Stdout);
        Assert.Equal(0, next.ExitCode);
        Assert.Equal(ManagedSecret.SecretType, h.Secret("default", "regcred").Type);
    }

    [Fact]
    public async Task Run_TypeChangeAndDeleteForbidden_NamesTheDeleteVerbAndTheChartValue()
    {
        // Arrange: a managed Secret whose type was changed, and RBAC without delete (rbac.typeRepair off, no prune).
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "default", Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue } },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["x"] = [1] },
        });
        h.Api.Deny(RbacDenyRule.Everywhere("delete", "secrets"));

        // Act
        var result = await h.RunCliAsync("run", "--config", Config(h));

        // Assert
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot delete secrets in namespace default", result.Stdout);
        Assert.Contains("verbs: [\"delete\"]", result.Stdout);
        Assert.Contains("rbac.typeRepair=true", result.Stdout);
        Assert.DoesNotContain("cannot update secrets", result.Stdout);
        Assert.Equal("Opaque", h.Secret("default", "regcred").Type);
    }

    [Fact]
    public async Task Run_MetricsPortInUse_Exits2WithAMessage()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var busy = new TcpListener(IPAddress.IPv6Any, 0);
        busy.Server.DualMode = true;
        busy.Start();
        try
        {
            var port = ((IPEndPoint)busy.LocalEndpoint).Port;

            var result = await h.RunCliAsync("run", "--config", Config(h), "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"--metrics-port {port}", result.Stderr);
            Assert.Empty(h.Api.Writes);
        }
        finally
        {
            busy.Stop();
        }
    }

    [Fact]
    public async Task Run_ManyTargetsShareOneServiceAccount_EveryEntryLandsWithoutConflicts()
    {
        var names = Enumerable.Range(0, 40).Select(i => $"ns{i}").ToArray();
        await using var h = await RotatorHarness.StartAsync(names);
        var more = string.Concat(Enumerable.Range(0, 11).Select(i =>
            $"  - {{name: s{i}, registries: [reg-a], namespaces: {{names: [\"ns*\"]}}, serviceAccounts: [default]}}\n"));
        var config = Config(h, more, "{concurrency: 64}", "[\"ns*\"]", "[default]");

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.All(names, ns => Assert.Equal(12, h.Api.GetServiceAccount(ns, "default")!.ImagePullSecrets.Count));
        Assert.DoesNotContain(h.Api.Journal, r => r.Resource == "serviceaccounts" && r.StatusCode == 409);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"auths\":{\"1.dkr.ecr.example\":{\"username\":\"AWS\",\"password\":\"EDITED\",\"auth\":\"QVdTOkVESVRFRA==\"}}}")]
    public async Task Run_StoredDataCorruptOrEditedWhileTokenStillFresh_FetchesAndRepairs(string stored)
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var tokens = new CountingTokenProvider();
        h.Configure = s => s.AddSingleton<IRegistryProvider>(tokens);
        var config = h.WriteConfig("""
            registries:
              - {name: ecr, type: test-token, server: 1.dkr.ecr.example}
            secrets:
              - {name: regcred, registries: [ecr], namespaces: {names: [default]}}
            """);
        await h.RunCliAsync("run", "--config", config);
        var s = h.Secret("default", "regcred");
        s.Data[ManagedSecret.DataKey] = Encoding.UTF8.GetBytes(stored);
        h.Api.ReplaceSecret(s);

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, tokens.Calls); // the token is not near expiry, yet the damaged copy forced a fetch
        Assert.Contains("\"password\":\"token-2\"", Data(h.Secret("default", "regcred")));
    }

    [Fact]
    public async Task Run_NewNamespaceNeedsAFetch_WritesOnlyThatSecret()
    {
        // Arrange: three secrets hold a token valid for a day; a fourth namespace appears.
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b", "team-c");
        var tokens = new CountingTokenProvider();
        h.Configure = s => s.AddSingleton<IRegistryProvider>(tokens);
        var config = h.WriteConfig("""
            registries:
              - {name: ecr, type: test-token, server: 1.dkr.ecr.example}
            secrets:
              - {name: regcred, registries: [ecr], namespaces: {names: ["team-*"]}}
            """);
        await h.RunCliAsync("run", "--config", config);
        h.Api.AddNamespace("team-d");
        h.Api.ClearJournal();

        // Act
        var dry = await h.RunCliAsync("run", "--config", config, "--dry-run");
        var real = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.Equal(3, dry.Stdout.Split('\n').Count(l => l.EndsWith("/regcred: leave unchanged", StringComparison.Ordinal)));
        Assert.Contains("1 would be created, 0 would be updated, 3 would be unchanged", dry.Stdout, StringComparison.Ordinal);
        Assert.True(real.ExitCode == 0, real.ToString());
        Assert.Contains("secret regcred: 1 created, 0 updated, 3 unchanged", real.Stdout, StringComparison.Ordinal);
        Assert.Single(h.Api.Writes); // one create; the others keep their still-valid token
        Assert.All(new[] { "team-a", "team-b", "team-c" }, ns => Assert.Contains("\"password\":\"token-1\"", Data(h.Secret(ns, "regcred"))));
        Assert.DoesNotContain("\"password\":\"token-1\"", Data(h.Secret("team-d", "regcred")));
    }

    [Fact]
    public async Task Run_SourcesAnnotationWithNullServer_ReportsInsteadOfCrashing()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = Config(h);
        await h.RunCliAsync("run", "--config", config);
        h.WriteFile("b.txt", "");
        var s = h.Secret("default", "regcred");
        s.Metadata.Annotations[ManagedSecret.SourcesAnnotation] = """{"reg-b":{"servers":[null],"expiresAt":null},"reg-a":null}""";
        h.Api.ReplaceSecret(s);

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("registry reg-b: FAILED", result.Stdout);
    }

    [Fact]
    public async Task Run_DryRunWithMissingNamespace_ReportsItLikeTheRealRun()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = Config(h, namespaces: "[default, ghost]", serviceAccounts: "[default]");

        var dry = await h.RunCliAsync("run", "--config", config, "--dry-run");
        var real = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(0, dry.ExitCode);
        Assert.Equal(0, real.ExitCode);
        Assert.Contains("missing namespace: ghost", dry.Stdout);
        Assert.Contains("missing namespace: ghost", real.Stdout);
    }

    [Fact]
    public async Task Run_PruneWithTwoInstances_LeavesTheOtherInstancesSecrets()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b");
        var teamA = Config(h, settings: "{prune: true, instance: team-a}", namespaces: "[team-a]");
        h.WriteFile("c.txt", "password-c");
        var teamB = h.WriteConfig("""
            registries:
              - {name: reg-c, type: static, server: c.example.com, username: uc, password: {file: c.txt}}
            secrets:
              - {name: other, registries: [reg-c], namespaces: {names: [team-b]}}
            settings: {prune: true, instance: team-b}
            """, "b.yaml");

        await h.RunCliAsync("run", "--config", teamA);
        await h.RunCliAsync("run", "--config", teamB);
        var again = await h.RunCliAsync("run", "--config", teamA);

        Assert.Equal(0, again.ExitCode);
        Assert.NotNull(h.Api.GetSecret("team-b", "other"));
        Assert.Equal("team-a", h.Secret("team-a", "regcred").GetLabel(ManagedSecret.InstanceLabel));
    }

    [Fact]
    public async Task Run_PruneManagedSecretWithoutInstanceLabel_LeavesIt()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b");
        await h.RunCliAsync("run", "--config", Config(h, namespaces: "[team-a, team-b]"));
        var unlabelled = h.Secret("team-b", "regcred");
        unlabelled.Metadata.Labels.Remove(ManagedSecret.InstanceLabel);
        h.Api.ReplaceSecret(unlabelled);

        var dry = await h.RunCliAsync("run", "--config", Config(h, settings: "{prune: true}", namespaces: "[team-a]"), "--dry-run");
        var real = await h.RunCliAsync("run", "--config", Config(h, settings: "{prune: true}", namespaces: "[team-a]"));

        Assert.True(real.ExitCode == 0, real.ToString());
        Assert.DoesNotContain("team-b", dry.Stdout, StringComparison.Ordinal);
        Assert.NotNull(h.Api.GetSecret("team-b", "regcred"));
    }

    [Fact]
    public async Task Run_ShutdownDuringPrune_StopsBeforeTheNextDelete()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b", "team-c", "team-d");
        await h.RunCliAsync("run", "--config", Config(h, namespaces: "[team-a, team-b, team-c, team-d]"));
        using var sigterm = new CancellationTokenSource();
        h.Api.FaultHook = r =>
        {
            if (r.Verb == "delete") sigterm.Cancel(); // SIGTERM arrives while the first delete is in flight
            return null;
        };

        var result = await h.RunCliUntilAsync(sigterm.Token, "run", "--config", Config(h, settings: "{prune: true}", namespaces: "[team-a]"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, h.Api.CountRequests("delete", "secrets")); // the one in flight finished, no new one started
        Assert.Equal(2, h.Api.ListSecrets().Count(s => s.Metadata.Name == "regcred" && s.Metadata.NamespaceProperty != "team-a"));
        Assert.Contains("not done: prune stopped by shutdown", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PruneWhenSecretAlreadyDeleted_StillRemovesOurServiceAccountEntry()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b");
        await h.RunCliAsync("run", "--config", Config(h, namespaces: "[team-a, team-b]", serviceAccounts: "[default]"));
        var narrowed = Config(h, settings: "{prune: true}", namespaces: "[team-a]", serviceAccounts: "[default]");
        h.Api.FaultHook = r =>
        {
            // Someone deletes the secret between our LIST and our delete.
            if (r.Verb == "delete" && r.Namespace == "team-b") h.Api.DeleteSecret("team-b", "regcred");
            return null;
        };

        var result = await h.RunCliAsync("run", "--config", narrowed);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(h.Api.GetServiceAccount("team-b", "default")!.ImagePullSecrets ?? []);
    }

    [Fact]
    public async Task Run_ShutdownBeforeAnyWrite_ReportsEveryTargetNotDone()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        using var shutdown = new CancellationTokenSource();
        h.Api.FaultHook = r =>
        {
            if (r.Verb == "list" && r.Resource == "secrets") shutdown.Cancel(); // SIGTERM while listing
            return null;
        };

        var result = await h.RunCliUntilAsync(shutdown.Token, "run", "--config", Config(h, namespaces: "[default, team-a]"));

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(h.Api.Writes);
        Assert.Equal(2, result.Stdout.Split('\n').Count(l => l.Contains("not_done", StringComparison.Ordinal)));
    }

    /// <summary>A token registry whose stored token stays fresh (expires in a day) and changes on every fetch.</summary>
    private sealed class CountingTokenProvider : IRegistryProvider
    {
        private int _calls;

        public int Calls => _calls;
        public string Type => "test-token";

        public object ParseOptions(ConfigMap map) => map.GetString("server", required: true) ?? "";

        public Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _calls);
            return Task.FromResult(new RegistryCredential(
                [new DockerAuthEntry((string)registry.Options, "AWS", $"token-{n}")], new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        }
    }
}

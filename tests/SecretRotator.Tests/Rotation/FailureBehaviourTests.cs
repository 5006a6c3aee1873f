using System.Text;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>The write path never loses a credential: failures stay isolated, reported and counted.</summary>
public sealed class FailureBehaviourTests
{
    private static string TwoRegistryConfig(RotatorHarness h, string namespaces = "[default]", string settings = "{}", string serviceAccounts = "[]") =>
        h.WriteTwoRegistryConfig(namespaces, settings, serviceAccounts);

    private static string Data(V1Secret s) => Encoding.UTF8.GetString(s.Data[ManagedSecret.DataKey]);

    [Fact]
    public async Task Run_OneRegistryFails_KeepsItsPreviousEntryAndRefreshesTheOther()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = TwoRegistryConfig(h);
        await h.RunCliAsync("run", "--config", config);
        h.WriteFile("a.txt", "password-a2");
        h.WriteFile("b.txt", ""); // reg-b now fails: empty password

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        var data = Data(h.Secret("default", "regcred"));
        Assert.Contains("\"password\":\"password-a2\"", data);
        Assert.Contains("\"b.example.com\":{\"username\":\"ub\",\"password\":\"password-b\"", data);
        Assert.Contains("registry reg-b: FAILED (empty_password)", result.Stdout);
        // The secret itself was refreshed; the registry's failure is what fails the run.
        Assert.Contains("secret regcred: 0 created, 1 updated", result.Stdout);
    }

    [Fact]
    public async Task Run_AllRegistriesFailOnFirstRun_WritesNothing()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = TwoRegistryConfig(h);
        h.WriteFile("a.txt", "");
        h.WriteFile("b.txt", "");

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(h.Api.Writes);
    }

    [Fact]
    public async Task Run_OurSecretHasOpaqueType_ReplacesByDeleteAndCreate()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "default", Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue } },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["x"] = [1] },
        });

        var result = await h.RunCliAsync("run", "--config", TwoRegistryConfig(h));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(ManagedSecret.SecretType, h.Secret("default", "regcred").Type);
        Assert.Equal(1, h.Api.CountRequests("delete", "secrets"));
    }

    [Fact]
    public async Task Run_ForeignOpaqueSecret_IsReportedNotReplaced()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "default" }, Type = "Opaque", Data = new Dictionary<string, byte[]> { ["x"] = [1] } });

        var result = await h.RunCliAsync("run", "--config", TwoRegistryConfig(h));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Opaque", h.Secret("default", "regcred").Type);
        Assert.Equal(0, h.Api.CountRequests("delete", "secrets"));
    }

    [Fact]
    public async Task Run_ImmutableSecret_IsReportedNotFought()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = TwoRegistryConfig(h);
        await h.RunCliAsync("run", "--config", config);
        var s = h.Secret("default", "regcred");
        s.Immutable = true;
        h.Api.ReplaceSecret(s);
        h.WriteFile("a.txt", "changed");
        h.Api.ClearJournal();

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAILED default/regcred: immutable", result.Stdout);
        Assert.Empty(h.Api.Writes);
    }

    [Fact]
    public async Task Run_CreateForbiddenInOneNamespace_NamesTheRuleAndDoesTheOthers()
    {
        await using var h = await RotatorHarness.StartAsync("default", "locked", "team-a");
        h.Api.Deny(RbacDenyRule.InNamespace("create", "secrets", "locked"));

        var result = await h.RunCliAsync("run", "--config", TwoRegistryConfig(h, "[default, locked, team-a]"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAILED locked/regcred: forbidden: cannot create secrets in namespace locked", result.Stdout);
        Assert.Contains("verbs: [\"create\"]", result.Stdout);
        Assert.NotNull(h.Api.GetSecret("default", "regcred"));
        Assert.NotNull(h.Api.GetSecret("team-a", "regcred"));
    }

    [Fact]
    public async Task Run_ClusterWideSecretListForbidden_FallsBackToPerNamespaceLists()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b");
        h.Api.Deny(RbacDenyRule.AtClusterScope("list", "secrets"));
        var config = TwoRegistryConfig(h, "[\"team-*\"]");
        await h.RunCliAsync("run", "--config", config);
        h.Api.ClearJournal();

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(h.Api.Writes);
        Assert.Equal(3, h.Api.CountRequests("list", "secrets")); // one refused cluster-wide + one per namespace
    }

    [Fact]
    public async Task Run_PruneEnabled_DeletesUnselectedSecretsAndOnlyOurServiceAccountEntries()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b");
        await h.RunCliAsync("run", "--config", TwoRegistryConfig(h, "[\"team-*\"]", serviceAccounts: "[default]"));
        var sa = h.Api.GetServiceAccount("team-b", "default")!;
        sa.ImagePullSecrets.Add(new V1LocalObjectReference { Name = "theirs" });
        h.Api.ReplaceServiceAccount(sa);
        h.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = "unrelated", NamespaceProperty = "team-b" }, Type = "Opaque" });
        var narrowed = TwoRegistryConfig(h, "[team-a]", "{prune: true}", serviceAccounts: "[default]");

        var dry = await h.RunCliAsync("run", "--config", narrowed, "--dry-run");
        Assert.Contains("dry-run: team-b/regcred: delete (prune)", dry.Stdout);
        Assert.NotNull(h.Api.GetSecret("team-b", "regcred"));

        var result = await h.RunCliAsync("run", "--config", narrowed);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Null(h.Api.GetSecret("team-b", "regcred"));
        Assert.NotNull(h.Api.GetSecret("team-b", "unrelated"));
        Assert.NotNull(h.Api.GetSecret("team-a", "regcred"));
        Assert.Equal(["theirs"], h.Api.GetServiceAccount("team-b", "default")!.ImagePullSecrets.Select(r => r.Name));
        Assert.Contains("1 pruned", result.Stdout);
    }

    [Fact]
    public async Task Run_ShutdownDuringWrites_FinishesInFlightReportsRestAndExits1()
    {
        await using var h = await RotatorHarness.StartAsync([.. Enumerable.Range(0, 6).Select(i => $"ns-{i}")]);
        using var shutdown = new CancellationTokenSource();
        h.Api.FaultHook = request =>
        {
            // SIGTERM arrives while the first create is on the wire.
            if (request.Verb == "create") shutdown.Cancel();
            return null;
        };
        var config = TwoRegistryConfig(h, "[ns-0, ns-1, ns-2, ns-3, ns-4, ns-5]", "{concurrency: 1}");

        var result = await h.RunCliUntilAsync(shutdown.Token, "run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Single(h.Api.ListSecrets()); // the in-flight create completed...
        Assert.Equal(1, h.Api.CountRequests("create", "secrets")); // ...and no new write started
        Assert.Equal(5, result.Stdout.Split('\n').Count(l => l.Contains("not_done: not done: shutting down", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_TimeoutReachedDuringWrites_ReportsTheRestNotDoneAndExits1()
    {
        await using var h = await RotatorHarness.StartAsync([.. Enumerable.Range(0, 4).Select(i => $"ns-{i}")]);
        var creates = 0;
        h.Api.FaultHook = request =>
        {
            // The clock jumps past settings.timeout while the first create is being served.
            if (request.Verb == "create" && request.Resource == "secrets")
            {
                Interlocked.Increment(ref creates);
                h.Time.Advance(TimeSpan.FromMinutes(2));
            }
            return null;
        };
        var config = TwoRegistryConfig(h, "[ns-0, ns-1, ns-2, ns-3]", "{concurrency: 1, timeout: 1m}");

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        // Counted where the create arrives: the deadline aborts that request, and an aborted request may or may not
        // reach the fake's journal before the connection closes.
        Assert.Equal(1, Volatile.Read(ref creates));
        Assert.Equal(3, result.Stdout.Split('\n').Count(l => l.Contains("not_done: not done: run timeout 1m reached", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_TwoRunsAtOnce_EndCorrectWithNoLostServiceAccountEntries()
    {
        var namespaces = Enumerable.Range(0, 20).Select(i => $"ns-{i}").ToArray();
        await using var h = await RotatorHarness.StartAsync(namespaces);
        h.WriteFile("c.txt", "password-c");
        var configA = TwoRegistryConfig(h, $"[{string.Join(",", namespaces)}]", serviceAccounts: "[default]");
        var configB = h.WriteConfig($$"""
            registries:
              - name: reg-c
                type: static
                server: c.example.com
                username: uc
                password: {file: c.txt}
            secrets:
              - name: other
                registries: [reg-c]
                namespaces:
                  names: [{{string.Join(",", namespaces)}}]
                serviceAccounts: [default]
            """, "b.yaml");

        var results = await Task.WhenAll(
            h.RunCliAsync("run", "--config", configA),
            h.RunCliAsync("run", "--config", configA),
            h.RunCliAsync("run", "--config", configB));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        foreach (var ns in namespaces)
        {
            Assert.Contains("password-a", Data(h.Secret(ns, "regcred")));
            Assert.Contains("password-c", Data(h.Secret(ns, "other")));
            var names = h.Api.GetServiceAccount(ns, "default")!.ImagePullSecrets.Select(r => r.Name).Order().ToList();
            Assert.Equal(["other", "regcred"], names);
        }
    }

    [Fact]
    public async Task Run_ManagedSecretWithCorruptData_IsRepaired()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var config = TwoRegistryConfig(h);
        await h.RunCliAsync("run", "--config", config);
        var s = h.Secret("default", "regcred");
        // Valid JSON (the API server checks that much) but not a usable dockerconfigjson.
        s.Data[ManagedSecret.DataKey] = Encoding.UTF8.GetBytes("{\"auths\":\"broken\"}");
        h.Api.ReplaceSecret(s);
        h.WriteFile("b.txt", ""); // and reg-b fails, so nothing can be carried from the corrupt data

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode); // reg-b's failure is reported...
        var data = Data(h.Secret("default", "regcred"));
        Assert.StartsWith("{\"auths\":{\"a.example.com\":", data); // ...and the secret is repaired with what works
    }
}

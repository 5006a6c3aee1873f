using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>A run pass adds all of a namespace's secrets to a shared service account in one JSON patch, whose precondition is
/// the list it read (never the resourceVersion).</summary>
public sealed class ServiceAccountBatchTests
{
    // regcred (from the two-registry config) and s0 both add themselves to "default".
    private static string TwoTargetsSharingDefault(RotatorHarness h, string namespaces) =>
        h.WriteTwoRegistryConfig(namespaces, serviceAccounts: "[default]",
            extraSecrets: $"  - {{name: s0, registries: [reg-a], namespaces: {{names: {namespaces}}}, serviceAccounts: [default]}}\n");

    [Fact]
    public async Task Run_TwoTargetsShareDefaultInNNamespaces_ExactlyNServiceAccountPatches()
    {
        var names = Enumerable.Range(0, 6).Select(i => $"ns{i}").ToArray();
        await using var h = await RotatorHarness.StartAsync(names);

        var result = await h.RunCliAsync("run", "--config", TwoTargetsSharingDefault(h, "[\"ns*\"]"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(names.Length, h.Api.CountRequests("patch", "serviceaccounts"));
        Assert.Equal(0, h.Api.CountRequests("update", "serviceaccounts"));
        Assert.Equal(2 * names.Length, h.Api.CountRequests("create", "secrets"));
        Assert.All(names, ns =>
        {
            var sa = h.Api.GetServiceAccount(ns, "default")!;
            Assert.Equal(["regcred", "s0"], sa.ImagePullSecrets.Select(r => r.Name).Order(StringComparer.Ordinal));
            Assert.Equal("regcred,s0", sa.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation));
        });
    }

    [Fact]
    public async Task Run_AccountsWithFieldsTheRunDoesNotUse_PatchKeepsThemAndTheServersManagedFields()
    {
        await using var h = await RotatorHarness.StartAsync("team-a", "team-b");
        foreach (var ns in new[] { "team-a", "team-b" })
        {
            var sa = h.Api.GetServiceAccount(ns, "default")!;
            sa.Secrets = [new V1ObjectReference { Name = "default-token-x2f9k" }];
            sa.AutomountServiceAccountToken = false;
            sa.Metadata.Labels = new Dictionary<string, string> { ["team"] = ns };
            // team-b's account has a field the lean LIST decode leaves to the library's typed decode.
            if (ns == "team-b") sa.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = "u0" }];
            h.Api.ReplaceServiceAccount(sa);
        }

        var result = await h.RunCliAsync("run", "--config", h.WriteTwoRegistryConfig("[\"team-*\"]", serviceAccounts: "[default]"));
        Assert.Contains(h.Api.Journal, r => r.Verb == "list" && r.Resource == "serviceaccounts"); // held from the LIST, not read by GET

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, h.Api.CountRequests("patch", "serviceaccounts"));
        Assert.Equal(0, h.Api.CountRequests("get", "serviceaccounts"));
        foreach (var ns in new[] { "team-a", "team-b" })
        {
            var sa = h.Api.GetServiceAccount(ns, "default")!;
            Assert.Equal(["regcred"], sa.ImagePullSecrets.Select(r => r.Name));
            Assert.Equal("default-token-x2f9k", Assert.Single(sa.Secrets).Name);
            Assert.False(sa.AutomountServiceAccountToken);
            Assert.Equal(ns, sa.GetLabel("team"));
            Assert.NotEmpty(sa.Metadata.ManagedFields); // omitted by the client, kept by the server
        }
        Assert.Equal("owner", Assert.Single(h.Api.GetServiceAccount("team-b", "default")!.Metadata.OwnerReferences).Name);
    }

    [Fact]
    public async Task Run_AnotherWriterChangesTheListBeforeOurPatch_RereadsAndKeepsTheirEntry()
    {
        // Arrange: someone else adds to the list between our LIST and our PATCH: the patch's test of the list fails (422).
        await using var h = await RotatorHarness.StartAsync("default");
        var interfered = false;
        h.Api.FaultHook = request =>
        {
            if (request.Verb == "patch" && request.Resource == "serviceaccounts" && !interfered)
            {
                interfered = true;
                var sa = h.Api.GetServiceAccount("default", "default")!;
                sa.ImagePullSecrets = [new V1LocalObjectReference { Name = "theirs" }];
                h.Api.ReplaceServiceAccount(sa);
            }
            return null;
        };

        // Act
        var result = await h.RunCliAsync("run", "--config", TwoTargetsSharingDefault(h, "[default]"));

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(interfered);
        Assert.Contains(h.Api.Journal, r => r.Verb == "patch" && r.Resource == "serviceaccounts" && r.StatusCode == 422);
        Assert.DoesNotContain(h.Api.Journal, r => r.Resource == "serviceaccounts" && r.StatusCode == 409);
        Assert.Equal(2, h.Api.CountRequests("patch", "serviceaccounts")); // the failed test, then one patch carrying both
        var account = h.Api.GetServiceAccount("default", "default")!;
        Assert.Equal(["theirs", "regcred", "s0"], account.ImagePullSecrets.Select(r => r.Name));
        Assert.Equal("regcred,s0", account.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation));
    }

    [Fact]
    public async Task Run_AnotherWriterBumpsTheVersionBeforeOurPatch_FirstPatchSucceedsAndKeepsTheirChanges()
    {
        // Arrange: between our LIST and our write someone else changes the account (labels, an annotation, token
        // secrets) but not its imagePullSecrets: the version we hold is stale. An update from it got a 409 here.
        // (The account already has annotations: the first annotation of an account that has none creates the map our
        // patch tests, and fails it.)
        await using var h = await RotatorHarness.StartAsync("default");
        var existing = h.Api.GetServiceAccount("default", "default")!;
        existing.Metadata.Annotations = new Dictionary<string, string> { ["theirs/first"] = "1" };
        h.Api.ReplaceServiceAccount(existing);
        var interfered = false;
        string? staleVersion = null;
        h.Api.FaultHook = request =>
        {
            if (request.IsWrite && request.Resource == "serviceaccounts" && !interfered)
            {
                interfered = true;
                var sa = h.Api.GetServiceAccount("default", "default")!;
                staleVersion = sa.Metadata.ResourceVersion;
                sa.Metadata.Labels = new Dictionary<string, string> { ["owner"] = "them" };
                sa.Metadata.Annotations["theirs/note"] = "kept";
                sa.Secrets = [new V1ObjectReference { Name = "default-token-x2f9k" }];
                h.Api.ReplaceServiceAccount(sa);
            }
            return null;
        };

        // Act
        var result = await h.RunCliAsync("run", "--config", TwoTargetsSharingDefault(h, "[default]"));

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(interfered);
        var write = Assert.Single(h.Api.Journal, r => r.IsWrite && r.Resource == "serviceaccounts");
        Assert.Equal(200, write.StatusCode);
        Assert.Equal("patch", write.Verb);
        Assert.Equal(1, h.Api.CountRequests("get", "serviceaccounts")); // the one read before the write: no re-read
        var account = h.Api.GetServiceAccount("default", "default")!;
        Assert.NotEqual(staleVersion, account.Metadata.ResourceVersion);
        Assert.Equal(["regcred", "s0"], account.ImagePullSecrets.Select(r => r.Name));
        Assert.Equal("them", account.GetLabel("owner"));
        Assert.Equal("kept", account.GetAnnotation("theirs/note"));
        Assert.Equal("regcred,s0", account.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation));
        Assert.Equal("default-token-x2f9k", Assert.Single(account.Secrets).Name);
    }

    [Fact]
    public async Task Run_BatchedServiceAccountPatchFails_BothTargetsReportIt()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        h.Api.FaultHook = r => r.Verb == "patch" && r.Resource == "serviceaccounts" && r.Namespace == "team-a" ? KubeFault.InternalError() : null;

        var result = await h.RunCliAsync("run", "--config", TwoTargetsSharingDefault(h, "[default, team-a]"));

        Assert.Equal(1, result.ExitCode);
        var failures = result.Stdout.Split('\n').Where(l => l.StartsWith("FAILED ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, failures.Count);
        var regcred = Assert.Single(failures, l => l.StartsWith("FAILED team-a/regcred: ", StringComparison.Ordinal));
        var s0 = Assert.Single(failures, l => l.StartsWith("FAILED team-a/s0: ", StringComparison.Ordinal));
        Assert.Contains(": service account default: ", regcred);
        Assert.Equal(regcred["FAILED team-a/regcred".Length..], s0["FAILED team-a/s0".Length..]); // same reason and message
        Assert.Contains("secret regcred: 1 created, 0 updated, 0 unchanged, 1 failed", result.Stdout);
        Assert.Contains("secret s0: 1 created, 0 updated, 0 unchanged, 1 failed", result.Stdout);
        Assert.Equal(["regcred", "s0"], h.Api.GetServiceAccount("default", "default")!.ImagePullSecrets.Select(r => r.Name).Order(StringComparer.Ordinal));
    }
}

using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Rotation;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>
/// The patcher as the daemon calls it: from a watch cache that may still hold the version our own write replaced
/// (issue 23: a burst of new namespaces gave 409s on service-account updates though we were the only writer).
/// </summary>
public sealed class ServiceAccountPatcherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ServiceAccountIndex Holding(V1ServiceAccount account)
    {
        var index = new ServiceAccountIndex();
        index.Remember(KubernetesJson.Deserialize<V1ServiceAccount>(KubernetesJson.Serialize(account)));
        return index;
    }

    [Fact]
    public async Task EnsureAsync_CacheStillHoldsTheVersionOurWriteReplaced_WritesNothingAndNeverConflicts()
    {
        // Arrange: a new namespace's "default", as the watch cache first holds it; we link regcred from that version.
        await using var h = await RotatorHarness.StartAsync("fresh");
        await using var services = h.Services();
        var patcher = services.GetRequiredService<ServiceAccountPatcher>();
        var created = h.Api.GetServiceAccount("fresh", "default")!;
        Assert.Null(await patcher.EnsureAsync("regcred", "fresh", "default", dryRun: false, Ct, Holding(created)));
        h.Api.ClearJournal();

        // Act: the account's ADDED event arrives after our write and triggers a reconcile from the replaced version.
        var failure = await patcher.EnsureAsync("regcred", "fresh", "default", dryRun: false, Ct, Holding(created));

        // Assert
        Assert.Null(failure);
        Assert.DoesNotContain(h.Api.Journal, r => r.Resource == "serviceaccounts"); // no write, no 409, no re-read
        Assert.Equal(["regcred"], h.Api.GetServiceAccount("fresh", "default")!.ImagePullSecrets.Select(r => r.Name));
    }

    [Fact]
    public async Task EnsureAllAsync_SecondTargetFromTheVersionOurWriteReplaced_OnePatchOnTopOfOurs()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync("fresh");
        await using var services = h.Services();
        var patcher = services.GetRequiredService<ServiceAccountPatcher>();
        var created = h.Api.GetServiceAccount("fresh", "default")!;
        Assert.Null(await patcher.EnsureAsync("regcred", "fresh", "default", dryRun: false, Ct, Holding(created)));
        h.Api.ClearJournal();

        // Act: another target's reconcile, from the same stale cached version.
        var failure = await patcher.EnsureAllAsync(["s0"], "fresh", "default", dryRun: false, Ct, Holding(created));

        // Assert
        Assert.Null(failure);
        var write = Assert.Single(h.Api.Journal, r => r.Resource == "serviceaccounts");
        Assert.Equal(("patch", 200), (write.Verb, write.StatusCode));
        var account = h.Api.GetServiceAccount("fresh", "default")!;
        Assert.Equal(["regcred", "s0"], account.ImagePullSecrets.Select(r => r.Name));
        Assert.Equal("regcred,s0", account.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation));
    }

    [Fact]
    public async Task EnsureAsync_StaleVersionAfterOwnWriteMemoryExpired_TestFailsThenRereadsWithoutDuplicate()
    {
        // Arrange: the watch never delivered our write within the memory: the stale version is used as is.
        await using var h = await RotatorHarness.StartAsync("fresh");
        await using var services = h.Services();
        var patcher = services.GetRequiredService<ServiceAccountPatcher>();
        var created = h.Api.GetServiceAccount("fresh", "default")!;
        Assert.Null(await patcher.EnsureAsync("regcred", "fresh", "default", dryRun: false, Ct, Holding(created)));
        h.Time.Advance(ServiceAccountPatcher.OwnWriteMemory + TimeSpan.FromSeconds(1));
        h.Api.ClearJournal();

        // Act
        var failure = await patcher.EnsureAsync("regcred", "fresh", "default", dryRun: false, Ct, Holding(created));

        // Assert: the patch's test of the list (absent) fails, the re-read shows the entry: nothing more to write.
        Assert.Null(failure);
        Assert.Equal([("patch", 422), ("get", 200)], h.Api.Journal.Where(r => r.Resource == "serviceaccounts").Select(r => (r.Verb, r.StatusCode)));
        Assert.Equal(["regcred"], h.Api.GetServiceAccount("fresh", "default")!.ImagePullSecrets.Select(r => r.Name));
    }

    [Fact]
    public async Task RemoveAsync_OurEntryBesideTheirs_RemovesOnlyOursAndOurAnnotation()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync("team-a");
        await using var services = h.Services();
        var patcher = services.GetRequiredService<ServiceAccountPatcher>();
        var sa = h.Api.GetServiceAccount("team-a", "default")!;
        sa.ImagePullSecrets = [new V1LocalObjectReference { Name = "theirs" }];
        sa.Metadata.Annotations = new Dictionary<string, string> { ["theirs/note"] = "kept" };
        h.Api.ReplaceServiceAccount(sa);
        Assert.Null(await patcher.EnsureAsync("regcred", "team-a", "default", dryRun: false, Ct));
        Assert.Equal(["theirs", "regcred"], h.Api.GetServiceAccount("team-a", "default")!.ImagePullSecrets.Select(r => r.Name));

        // Act
        var failure = await patcher.RemoveAsync("regcred", "team-a", "default", dryRun: false, Ct);

        // Assert
        Assert.Null(failure);
        var account = h.Api.GetServiceAccount("team-a", "default")!;
        Assert.Equal(["theirs"], account.ImagePullSecrets.Select(r => r.Name));
        Assert.Null(account.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation));
        Assert.Equal("kept", account.GetAnnotation("theirs/note"));
    }
}

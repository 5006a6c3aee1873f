using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Rotation;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>
/// The entry points a daemon event uses, called as it would call them: one credential fetch, one reconcile from
/// cached credentials and a cached secret, one service-account patch. Nothing listed is ever changed in place.
/// </summary>
public sealed class ReconcilePathTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static V1Secret Copy(V1Secret s) => KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(s));

    [Fact]
    public void MergeInto_ListedSecret_ReturnsCopyAndLeavesListedUnchanged()
    {
        var listed = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["team"] = "a" } },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["x"] = [1] },
        };
        var before = KubernetesJson.Serialize(listed);
        var desired = new V1Secret
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["l"] = "v" }, Annotations = new Dictionary<string, string> { ["a"] = "v" } },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = [2] },
        };

        var merged = SecretBuilder.MergeInto(listed, desired);

        Assert.Equal(before, KubernetesJson.Serialize(listed));
        Assert.NotSame(listed, merged);
        Assert.Equal("a", merged.GetLabel("team"));
        Assert.Equal("v", merged.GetLabel("l"));
        Assert.Equal(ManagedSecret.SecretType, merged.Type);
    }

    [Fact]
    public async Task ReconcileAsync_CachedStaleSecretAndFreshCredential_UpdatesWithoutListingOrChangingTheCache()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.CreateDefaultServiceAccount = true;
        await using var services = h.Services();
        var config = services.GetRequiredService<ConfigLoader>().Load(h.WriteTwoRegistryConfig(serviceAccounts: "[default]"));
        var target = config.Secrets.Single();
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", config.File)).ExitCode);
        var cached = Copy(h.Secret("default", "regcred"));
        var snapshot = KubernetesJson.Serialize(cached);
        h.WriteFile("a.txt", "password-a2");
        h.Time.Advance(TimeSpan.FromMinutes(5));
        h.Api.ClearJournal();

        // (d) one registry, as a schedule fires; (b) one secret from the cache, as a watch event arrives.
        var fetched = await services.GetRequiredService<CredentialFetcher>().FetchOneAsync(config.Registry("reg-a"), verify: false, Ct);
        var result = await services.GetRequiredService<SecretReconciler>().ReconcileAsync(target, "default", new RunContext
        {
            Settings = config.Settings,
            Credentials = new Dictionary<string, RegistryCredential> { ["reg-a"] = fetched.Credential! },
            Listed = new Dictionary<(string, string), V1Secret> { [("default", "regcred")] = cached },
            Now = h.Time.GetUtcNow(),
            CancellationToken = Ct,
        });

        Assert.True(result.Outcome == Outcome.Updated, result.ToString());
        var written = Encoding.UTF8.GetString(h.Secret("default", "regcred").Data[ManagedSecret.DataKey]);
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("ua:password-a2")), written);
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("ub:password-b")), written); // reg-b carried over
        Assert.Equal(snapshot, KubernetesJson.Serialize(cached));
        Assert.DoesNotContain(h.Api.Journal, r => r.Verb == "list");
        Assert.Equal(1, h.Api.CountRequests("update", "secrets"));
    }

    [Fact]
    public async Task EnsureAsync_EntryRemovedByHand_PutsItBackWithoutChangingTheIndexedObject()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.CreateDefaultServiceAccount = true;
        await using var services = h.Services();
        var config = h.WriteTwoRegistryConfig(serviceAccounts: "[default]");
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", config)).ExitCode);
        var sa = h.Api.GetServiceAccount("default", "default")!;
        sa.ImagePullSecrets = [];
        var edited = h.Api.ReplaceServiceAccount(sa);
        var index = new ServiceAccountIndex();
        index.Remember(edited);
        var snapshot = KubernetesJson.Serialize(edited);

        // (c) one service account, as its watch event arrives.
        var failure = await services.GetRequiredService<ServiceAccountPatcher>().EnsureAsync("regcred", "default", "default", dryRun: false, Ct, index);

        Assert.Null(failure);
        Assert.Equal(["regcred"], h.Api.GetServiceAccount("default", "default")!.ImagePullSecrets.Select(r => r.Name));
        Assert.Equal(snapshot, KubernetesJson.Serialize(edited));
        Assert.NotEqual(edited.ResourceVersion(), index.Find("default", "default")!.ResourceVersion());
    }
}

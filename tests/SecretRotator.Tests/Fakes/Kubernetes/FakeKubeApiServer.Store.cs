using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>Direct store access for arranging and asserting. Bypasses HTTP, faults, RBAC and the journal, but does emit watch events.</summary>
public sealed partial class FakeKubeApiServer
{
    /// <summary>Whether a new namespace gets a "default" ServiceAccount, as the ServiceAccount controller does (default true).</summary>
    public bool CreateDefaultServiceAccount
    {
        get => _store.CreateDefaultServiceAccount;
        set => _store.CreateDefaultServiceAccount = value;
    }

    /// <summary>The current (last written) global resourceVersion.</summary>
    public long ResourceVersion => _store.ResourceVersion;

    public V1Namespace AddNamespace(string name, IDictionary<string, string>? labels = null) =>
        Create<V1Namespace>(KubeResource.Namespaces, null,
            new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels is null ? null : new Dictionary<string, string>(labels) } });

    /// <summary>Adds a secret in <c>secret.Metadata.NamespaceProperty</c> (the namespace must exist).</summary>
    public V1Secret AddSecret(V1Secret secret) => Create<V1Secret>(KubeResource.Secrets, secret.Metadata.NamespaceProperty, secret);

    public V1ServiceAccount AddServiceAccount(V1ServiceAccount serviceAccount) =>
        Create<V1ServiceAccount>(KubeResource.ServiceAccounts, serviceAccount.Metadata.NamespaceProperty, serviceAccount);

    public V1Namespace? GetNamespace(string name) => Read<V1Namespace>(_store.Get(KubeResource.Namespaces, null, name));

    public V1Secret? GetSecret(string ns, string name) => Read<V1Secret>(_store.Get(KubeResource.Secrets, ns, name));

    public V1ServiceAccount? GetServiceAccount(string ns, string name) => Read<V1ServiceAccount>(_store.Get(KubeResource.ServiceAccounts, ns, name));

    public V1Lease? GetLease(string ns, string name) => Read<V1Lease>(_store.Get(KubeResource.Leases, ns, name));

    /// <summary>All secrets, or those in <paramref name="ns"/>, ordered by namespace then name.</summary>
    public IReadOnlyList<V1Secret> ListSecrets(string? ns = null) =>
        [.. _store.List(KubeResource.Secrets, ns).Items.Select(o => Read<V1Secret>(o)!)];

    public IReadOnlyList<V1ServiceAccount> ListServiceAccounts(string? ns = null) =>
        [.. _store.List(KubeResource.ServiceAccounts, ns).Items.Select(o => Read<V1ServiceAccount>(o)!)];

    /// <summary>Replaces a stored secret as another actor would (ignores its resourceVersion, keeps identity, bumps the version).</summary>
    public V1Secret ReplaceSecret(V1Secret secret) => Replace<V1Secret>(KubeResource.Secrets, secret.Metadata.NamespaceProperty, secret.Metadata.Name, secret);

    public V1ServiceAccount ReplaceServiceAccount(V1ServiceAccount serviceAccount) =>
        Replace<V1ServiceAccount>(KubeResource.ServiceAccounts, serviceAccount.Metadata.NamespaceProperty, serviceAccount.Metadata.Name, serviceAccount);

    /// <summary>Changes a namespace's labels (the automatic kubernetes.io/metadata.name label is kept).</summary>
    public V1Namespace SetNamespaceLabels(string name, IDictionary<string, string> labels)
    {
        var ns = GetNamespace(name) ?? throw new InvalidOperationException($"namespace {name} does not exist");
        ns.Metadata.Labels = new Dictionary<string, string>(labels);
        return Replace<V1Namespace>(KubeResource.Namespaces, null, name, ns);
    }

    /// <summary>Deletes a namespace and everything in it at once (no Terminating phase).</summary>
    public void DeleteNamespace(string name) => Run(() => _store.Delete(KubeResource.Namespaces, null, name));

    public void DeleteSecret(string ns, string name) => Run(() => _store.Delete(KubeResource.Secrets, ns, name));

    /// <summary>Ends every open watch stream (clients see the stream close and must re-watch).</summary>
    public void EndWatches() => _store.EndWatches();

    /// <summary>Forgets watch history: a watch resuming from an older resourceVersion then gets a 410 Expired ERROR event.</summary>
    public void CompactWatchHistory() => _store.Compact();

    private T Create<T>(KubeResource resource, string? ns, object model) =>
        Read<T>(Run(() => _store.Create(resource, ns, ToJson(model))))!;

    private T Replace<T>(KubeResource resource, string? ns, string name, object model) =>
        Read<T>(Run(() => _store.Update(resource, ns, name, _ => ToJson(model))))!;

    private static JsonObject ToJson(object model) => (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(model))!;

    private static T? Read<T>(JsonObject? obj) => obj is null ? default : KubernetesJson.Deserialize<T>(obj.ToJsonString());

    private static JsonObject Run(Func<JsonObject> action)
    {
        try
        {
            return action();
        }
        catch (KubeStatusException e)
        {
            throw new InvalidOperationException($"fake apiserver rejected the seed: {e.Message}", e);
        }
    }
}

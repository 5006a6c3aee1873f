using k8s;
using k8s.Models;

namespace SecretRotator.Kubernetes.Watching;

/// <summary>
/// What the daemon watches: namespaces, managed secrets and service accounts cluster-wide, or (namespace-scoped RBAC)
/// the managed secrets and service accounts of each named namespace; mirror sources by name.
/// </summary>
public static class WatchSources
{
    private const int PageSize = 500;

    public static readonly WatchSource<V1Namespace> Namespaces = new("namespaces",
        (client, ct) => ListAll<V1Namespace>(async next =>
        {
            var list = await client.CoreV1.ListNamespaceAsync(continueParameter: next, limit: PageSize, cancellationToken: ct);
            return (list.Items, list.Metadata);
        }),
        (client, version, timeout, onError, ct) => client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: version,
            timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        ClusterRule("namespaces"));

    /// <summary>Only ours (by label): other secrets are none of the daemon's business and would cost memory.</summary>
    public static readonly WatchSource<V1Secret> ManagedSecrets = new("secrets",
        (client, ct) => ListAll<V1Secret>(async next =>
        {
            var list = await client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: ManagedSelector, continueParameter: next, limit: PageSize, cancellationToken: ct);
            return (list.Items, list.Metadata);
        }),
        (client, version, timeout, onError, ct) => client.CoreV1.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true,
            labelSelector: ManagedSelector, resourceVersion: version, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        ClusterRule("secrets"));

    public static readonly WatchSource<V1ServiceAccount> ServiceAccounts = new("serviceaccounts",
        (client, ct) => ListAll<V1ServiceAccount>(async next =>
        {
            var list = await client.CoreV1.ListServiceAccountForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct);
            return (list.Items, list.Metadata);
        }),
        (client, version, timeout, onError, ct) => client.CoreV1.WatchListServiceAccountForAllNamespacesAsync(allowWatchBookmarks: true,
            resourceVersion: version, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        ClusterRule("serviceaccounts"));

    /// <summary>Our secrets in one namespace (namespace-scoped RBAC: a Role grants list and watch there).</summary>
    public static WatchSource<V1Secret> ManagedSecretsIn(string @namespace) => new($"secrets {@namespace}",
        (client, ct) => ListAll<V1Secret>(async next =>
        {
            var list = await client.CoreV1.ListNamespacedSecretAsync(@namespace, labelSelector: ManagedSelector, continueParameter: next, limit: PageSize, cancellationToken: ct);
            return (list.Items, list.Metadata);
        }),
        (client, version, timeout, onError, ct) => client.CoreV1.WatchListNamespacedSecretAsync(@namespace, allowWatchBookmarks: true,
            labelSelector: ManagedSelector, resourceVersion: version, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        NamespaceRule("secrets", @namespace));

    public static WatchSource<V1ServiceAccount> ServiceAccountsIn(string @namespace) => new($"serviceaccounts {@namespace}",
        (client, ct) => ListAll<V1ServiceAccount>(async next =>
        {
            var list = await client.CoreV1.ListNamespacedServiceAccountAsync(@namespace, continueParameter: next, limit: PageSize, cancellationToken: ct);
            return (list.Items, list.Metadata);
        }),
        (client, version, timeout, onError, ct) => client.CoreV1.WatchListNamespacedServiceAccountAsync(@namespace, allowWatchBookmarks: true,
            resourceVersion: version, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        NamespaceRule("serviceaccounts", @namespace));

    /// <summary>
    /// One Secret by name (a mirror registry's source: someone else's, without our label). The apiserver authorizes a list
    /// or watch with the field selector metadata.name=NAME against RBAC resourceNames, so a Role can name just this Secret.
    /// </summary>
    public static WatchSource<V1Secret> Secret(string @namespace, string name) => new($"secret {@namespace}/{name}",
        async (client, ct) =>
        {
            var list = await client.CoreV1.ListNamespacedSecretAsync(@namespace, fieldSelector: NameSelector(name), cancellationToken: ct);
            return (list.Items, list.Metadata.ResourceVersion);
        },
        (client, version, timeout, onError, ct) => client.CoreV1.WatchListNamespacedSecretAsync(@namespace, allowWatchBookmarks: true,
            fieldSelector: NameSelector(name), resourceVersion: version, timeoutSeconds: timeout, onError: onError, cancellationToken: ct),
        $"a Role in namespace {@namespace}: {{apiGroups: [\"\"], resources: [secrets], resourceNames: [{name}], verbs: [get, list, watch]}}");

    private static string ClusterRule(string resource) =>
        $"a ClusterRole rule {{apiGroups: [\"\"], resources: [{resource}], verbs: [list, watch]}} (or, with exact namespace names only, "
        + "namespace-scoped RBAC and daemon --namespaced; chart: rbac.scope=namespaced)";

    private static string NamespaceRule(string resource, string ns) =>
        $"a Role in namespace {ns}: {{apiGroups: [\"\"], resources: [{resource}], verbs: [list, watch]}}";

    private static string NameSelector(string name) => $"metadata.name={name}";

    private static string ManagedSelector => $"{ManagedSecret.ManagedByLabel}={ManagedSecret.ManagedByValue}";

    /// <summary>Pages through a list; the watch resumes from the version of the last page.</summary>
    private static async Task<(IList<T> Items, string ResourceVersion)> ListAll<T>(Func<string?, Task<(IList<T> Items, V1ListMeta Metadata)>> page)
    {
        var items = new List<T>();
        string? next = null;
        string version;
        do
        {
            var (pageItems, metadata) = await page(next);
            items.AddRange(pageItems);
            version = metadata.ResourceVersion;
            next = metadata.ContinueProperty;
        } while (!string.IsNullOrEmpty(next));
        return (items, version);
    }
}

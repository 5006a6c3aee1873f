using System.Collections.Concurrent;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Scheduling;

/// <summary>
/// What the watches have seen: namespaces, our managed secrets and the configured service accounts. Objects are stored as
/// received and never mutated (the shared reconciler and patcher copy before they change anything). A relist updates a map
/// in place, removing only what is gone, so a reader never sees a present object missing (a pass would take the missing
/// secrets for orphans).
/// </summary>
public sealed class ClusterState(RotatorConfig config)
{
    private readonly HashSet<string> _accountNames = config.Secrets.SelectMany(t => t.ServiceAccounts).ToHashSet(StringComparer.Ordinal);

    public ConcurrentDictionary<string, V1Namespace> Namespaces { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<(string Namespace, string Name), V1Secret> Secrets { get; } = new();
    public ConcurrentDictionary<(string Namespace, string Name), V1ServiceAccount> ServiceAccounts { get; } = new();

    /// <summary>Set once every watch has listed: before that, events only fill the caches (the full pass that follows covers them).</summary>
    public bool Synced { get => Volatile.Read(ref _synced); set => Volatile.Write(ref _synced, value); }
    private bool _synced;

    public bool IsConfiguredAccount(string name) => _accountNames.Contains(name);

    public V1ServiceAccount? ServiceAccount(string ns, string name) => ServiceAccounts.TryGetValue((ns, name), out var sa) ? sa : null;

    /// <summary>Whether the target selects this namespace: the rule every pass applies (<see cref="NamespaceSelector.Selects"/>).</summary>
    public static bool Selects(SecretTarget target, V1Namespace ns) => NamespaceSelector.Selects(target.Namespaces, ns);

    /// <summary>Every (target, namespace) the config asks for, from the namespaces seen so far.</summary>
    public IEnumerable<ReconcileKey> AllKeys() =>
        from ns in Namespaces.Values
        from target in config.Secrets
        where Selects(target, ns)
        select new ReconcileKey(target.Name, ns.Metadata.Name);

    public void ReplaceNamespaces(IEnumerable<V1Namespace> items) => Sync(Namespaces, items.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal), _ => true);

    /// <param name="scope">The namespace a per-namespace watch covers (namespace-scoped RBAC), or null for all.</param>
    public void ReplaceSecrets(IEnumerable<V1Secret> items, string? scope = null) =>
        Sync(Secrets, items.ToDictionary(s => (Namespace: s.Metadata.NamespaceProperty, Name: s.Metadata.Name)), key => scope is null || key.Namespace == scope);

    public void ReplaceServiceAccounts(IEnumerable<V1ServiceAccount> items, string? scope = null) =>
        Sync(ServiceAccounts, items.Where(a => IsConfiguredAccount(a.Metadata.Name)).ToDictionary(a => (Namespace: a.Metadata.NamespaceProperty, Name: a.Metadata.Name)),
            key => scope is null || key.Namespace == scope);

    /// <summary>The caches as a pass reads them (<see cref="CachedCluster"/>).</summary>
    public IClusterSnapshot Snapshot() => new CachedCluster(this);

    public void Clear()
    {
        Namespaces.Clear();
        Secrets.Clear();
        ServiceAccounts.Clear();
    }

    private static void Sync<TKey, TValue>(ConcurrentDictionary<TKey, TValue> map, Dictionary<TKey, TValue> listed, Func<TKey, bool> inScope)
        where TKey : notnull
    {
        foreach (var (key, value) in listed) map[key] = value;
        foreach (var key in map.Keys)
        {
            if (inScope(key) && !listed.ContainsKey(key)) map.TryRemove(key, out _);
        }
    }
}

using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Scheduling;

/// <summary>
/// The daemon's watch caches as the source of a full pass: the same planner and pass as `run`, with no LIST. Managed
/// secrets and service accounts are copied when the pass asks for them; a relist never removes an object still present.
/// </summary>
public sealed class CachedCluster(ClusterState state) : IClusterSnapshot
{
    private readonly IReadOnlyDictionary<string, V1Namespace> _namespaces = state.Namespaces;
    private readonly IReadOnlyDictionary<(string Namespace, string Name), V1Secret> _secrets = state.Secrets;
    private readonly IReadOnlyDictionary<(string Namespace, string Name), V1ServiceAccount> _accounts = state.ServiceAccounts;

    /// <summary>Every watch has listed at least once; before that a missing object proves nothing.</summary>
    public bool Complete { get; } = state.Synced;

    public Task<IReadOnlyList<string>> ResolveAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var ns in _namespaces.Values)
        {
            if (NamespaceSelector.Selects(selection, ns) && (only.Count == 0 || only.Contains(ns.Metadata.Name))) names.Add(ns.Metadata.Name);
        }
        names.Sort(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyList<string>>(names);
    }

    public Task<IReadOnlyList<string>> DroppedBySelectorAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken)
    {
        if (selection.Selector is null) return Task.FromResult<IReadOnlyList<string>>([]);
        IReadOnlyList<string> dropped = [.. selection.Names
            .Where(n => !Glob.IsPattern(n) && selection.AdmitsName(n) && (only.Count == 0 || only.Contains(n)))
            .Where(n => !_namespaces.TryGetValue(n, out var ns) || !NamespaceSelector.Selects(selection, ns))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return Task.FromResult(dropped);
    }

    public Task<ManagedSecretLister.Listing?> TryListClusterWideAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ManagedSecretLister.Listing?>(new ManagedSecretLister.Listing(_secrets.ToDictionary()));

    public Task<ManagedSecretLister.Listing> ListPerNamespaceAsync(IReadOnlyCollection<string> namespaces, int concurrency, CancellationToken cancellationToken)
    {
        var wanted = namespaces.ToHashSet(StringComparer.Ordinal);
        return Task.FromResult(new ManagedSecretLister.Listing(_secrets.Where(kv => wanted.Contains(kv.Key.Namespace)).ToDictionary()));
    }

    /// <summary>A copy per pass: the pass records what it writes in its index, which must not leak into the cache.</summary>
    public Task<ServiceAccountIndex> ServiceAccountsAsync(IEnumerable<string> names, bool clusterWide, CancellationToken cancellationToken)
    {
        var index = new ServiceAccountIndex();
        foreach (var account in _accounts.Values) index.Remember(account);
        return Task.FromResult(index);
    }

    public ValueTask<DateTimeOffset?> NamespaceCreatedAsync(string ns, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_namespaces.TryGetValue(ns, out var found) && found.Metadata.CreationTimestamp is { } created
            ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc))
            : (DateTimeOffset?)null);
}

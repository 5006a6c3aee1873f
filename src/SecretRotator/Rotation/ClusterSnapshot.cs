using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// What a pass reads of the cluster, from one of two sources: LISTs (<see cref="ListedCluster"/>: <c>run</c>, <c>status</c>)
/// or the daemon's watch cache. The planner and the pass do not know which; only where the data comes from differs.
/// </summary>
public interface IClusterSnapshot
{
    /// <summary>The namespaces <paramref name="selection"/> selects (within <paramref name="only"/> when not empty), ascending.</summary>
    Task<IReadOnlyList<string>> ResolveAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken);

    /// <summary>Exact names of the selection that its selector does not select (or that do not exist): worth a warning.</summary>
    Task<IReadOnlyList<string>> DroppedBySelectorAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken);

    /// <summary>Every managed secret, or null when they cannot be read cluster-wide (then per namespace).</summary>
    Task<ManagedSecretLister.Listing?> TryListClusterWideAsync(CancellationToken cancellationToken);

    Task<ManagedSecretLister.Listing> ListPerNamespaceAsync(IReadOnlyCollection<string> namespaces, int concurrency, CancellationToken cancellationToken);

    /// <summary>The service accounts of these names in every namespace; what is missing is read on demand.</summary>
    /// <param name="clusterWide">The pass covers globs, selectors or orphans: worth a cluster-wide LIST (a LIST source
    /// lists nothing otherwise; a cache holds them anyway).</param>
    Task<ServiceAccountIndex> ServiceAccountsAsync(IEnumerable<string> names, bool clusterWide, CancellationToken cancellationToken);

    /// <summary>When the namespace was created, or null when unknown (gone, or not readable).</summary>
    ValueTask<DateTimeOffset?> NamespaceCreatedAsync(string ns, CancellationToken cancellationToken);

    /// <summary>False while the source may be missing objects (a watch relisting, a cache not yet filled): prune waits.</summary>
    bool Complete { get; }
}

/// <summary>The namespace selection rule every source applies to a namespace object it holds (the daemon's cache and events).</summary>
public static class NamespaceSelector
{
    /// <summary>
    /// Whether <paramref name="selection"/> selects <paramref name="ns"/>, decided locally with the API server's semantics:
    /// the label selector, names and exclude, and never a namespace being deleted (it cannot take new secrets).
    /// </summary>
    public static bool Selects(NamespaceSelection selection, V1Namespace ns)
    {
        if (ns.Status?.Phase == "Terminating") return false;
        if (selection.Selector is { } selector && !LabelSelector.Matches(selector, ns.Metadata.Labels)) return false;
        return selection.AdmitsName(ns.Metadata.Name);
    }
}

/// <summary>The cluster as LISTs show it now (<c>run</c>, <c>status</c>): one per pass, since the resolver caches its LISTs.</summary>
public sealed class ListedCluster(IKubernetes kubernetes, ILogger logger) : IClusterSnapshot
{
    private readonly NamespaceResolver _resolver = new(kubernetes);
    private readonly ManagedSecretLister _lister = new(kubernetes, logger);

    public bool Complete => true;

    public Task<IReadOnlyList<string>> ResolveAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken) =>
        _resolver.ResolveAsync(selection, only, cancellationToken);

    public Task<IReadOnlyList<string>> DroppedBySelectorAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken) =>
        _resolver.DroppedBySelectorAsync(selection, only, cancellationToken);

    public Task<ManagedSecretLister.Listing?> TryListClusterWideAsync(CancellationToken cancellationToken) => _lister.TryListClusterWideAsync(cancellationToken);

    public Task<ManagedSecretLister.Listing> ListPerNamespaceAsync(IReadOnlyCollection<string> namespaces, int concurrency, CancellationToken cancellationToken) =>
        _lister.ListPerNamespaceAsync(namespaces, concurrency, cancellationToken);

    public Task<ServiceAccountIndex> ServiceAccountsAsync(IEnumerable<string> names, bool clusterWide, CancellationToken cancellationToken) =>
        clusterWide ? ServiceAccountIndex.ListAsync(kubernetes, names, cancellationToken) : Task.FromResult(new ServiceAccountIndex());

    /// <summary>One GET, only on the rare path that needs it (a service account not found).</summary>
    public async ValueTask<DateTimeOffset?> NamespaceCreatedAsync(string ns, CancellationToken cancellationToken)
    {
        try
        {
            var found = await kubernetes.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken);
            return found.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null; // gone, or namespace-scoped RBAC: treated as old (the failure stands)
        }
    }
}

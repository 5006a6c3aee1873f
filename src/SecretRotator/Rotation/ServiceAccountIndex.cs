using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SecretRotator.Rotation;

/// <summary>
/// The configured service accounts as one LIST per account name (fieldSelector metadata.name) saw them, so a
/// steady-state run checks imagePullSecrets without a GET per namespace. Anything not listed (403 on the
/// cluster-wide list, or a list failure) is simply read on demand. The patcher records what it writes here, so
/// several targets adding to the same account in one pass start from the latest version. Objects held here are
/// shared: readers copy before changing them.
/// </summary>
public sealed class ServiceAccountIndex
{
    private readonly ConcurrentDictionary<(string Namespace, string Name), V1ServiceAccount> _accounts = new();

    public V1ServiceAccount? Find(string ns, string name) => _accounts.GetValueOrDefault((ns, name));

    /// <summary>Keeps the version the API server returned from a write.</summary>
    public void Remember(V1ServiceAccount account) => _accounts[(account.Metadata.NamespaceProperty, account.Metadata.Name)] = account;

    /// <summary>Drops a version found stale (409): the next use reads it again.</summary>
    public void Forget(string ns, string name) => _accounts.TryRemove((ns, name), out _);

    public static async Task<ServiceAccountIndex> ListAsync(IKubernetes kubernetes, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        var index = new ServiceAccountIndex();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            try
            {
                string? next = null;
                do
                {
                    var page = await kubernetes.CoreV1.ListServiceAccountForAllNamespacesAsync(
                        fieldSelector: $"metadata.name={name}", continueParameter: next, limit: 500, cancellationToken: cancellationToken);
                    foreach (var sa in page.Items) index.Remember(sa);
                    next = page.Metadata?.ContinueProperty;
                } while (!string.IsNullOrEmpty(next));
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException
                                          || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Falls back to one GET per namespace for this account name.
            }
        }
        return index;
    }
}

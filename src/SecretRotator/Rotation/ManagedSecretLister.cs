using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// Lists the secrets this tool manages, by label. One cluster-wide LIST when allowed; per-namespace LISTs when
/// the config only names namespaces, or when the cluster forbids the cluster-wide list (namespace-scoped RBAC).
/// </summary>
public sealed partial class ManagedSecretLister(IKubernetes kubernetes, ILogger logger)
{
    public sealed record Listing(Dictionary<(string Namespace, string Name), V1Secret> Secrets);

    public async Task<Listing> ListAsync(IReadOnlyCollection<string> namespaces, bool clusterWide, int concurrency, CancellationToken cancellationToken) =>
        (clusterWide ? await TryListClusterWideAsync(cancellationToken) : null)
        ?? await ListPerNamespaceAsync(namespaces, concurrency, cancellationToken);

    /// <summary>One cluster-wide LIST by label; null when it is forbidden or fails (then list per namespace).</summary>
    public async Task<Listing?> TryListClusterWideAsync(CancellationToken cancellationToken)
    {
        try
        {
            var secrets = new Dictionary<(string, string), V1Secret>();
            foreach (var s in await ListPagesAsync(null, cancellationToken))
                secrets[(s.Metadata.NamespaceProperty, s.Metadata.Name)] = s;
            return new Listing(secrets);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            LogClusterListForbidden(logger);
        }
        catch (Exception e) when (IsApiFailure(e, cancellationToken))
        {
            // Retries are exhausted; smaller per-namespace lists may still get through.
            LogClusterListFailed(logger, e.Message);
        }
        return null;
    }

    public async Task<Listing> ListPerNamespaceAsync(IReadOnlyCollection<string> namespaces, int concurrency, CancellationToken cancellationToken)
    {
        var secrets = new Dictionary<(string, string), V1Secret>();
        var gate = new Lock();
        await Parallel.ForEachAsync(namespaces, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (ns, ct) =>
        {
            try
            {
                var items = await ListPagesAsync(ns, ct);
                lock (gate)
                    foreach (var s in items) secrets[(ns, s.Metadata.Name)] = s;
            }
            catch (Exception e) when (IsApiFailure(e, ct))
            {
                // Not fatal: writes in this namespace fall back to create-then-read, and prune cannot see (so skips) it.
                LogNamespaceListFailed(logger, ns, e.Message);
            }
        });
        return new Listing(secrets);
    }

    private static bool IsApiFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpOperationException or HttpRequestException or IOException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private async Task<List<V1Secret>> ListPagesAsync(string? ns, CancellationToken cancellationToken)
    {
        var all = new List<V1Secret>();
        string? next = null;
        do
        {
            var page = ns is null
                ? await kubernetes.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: ManagedSecret.ManagedSelector, continueParameter: next, limit: 500, cancellationToken: cancellationToken)
                : await kubernetes.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: ManagedSecret.ManagedSelector, continueParameter: next, limit: 500, cancellationToken: cancellationToken);
            all.AddRange(page.Items);
            next = page.Metadata?.ContinueProperty;
        } while (!string.IsNullOrEmpty(next));
        return all;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Listing secrets cluster-wide is forbidden; falling back to one list per namespace")]
    private static partial void LogClusterListForbidden(ILogger logger);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Cannot list secrets in namespace {Namespace} ({Error}); writes there will create and re-read")]
    private static partial void LogNamespaceListFailed(ILogger logger, string @namespace, string error);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Listing secrets cluster-wide failed ({Error}); falling back to one list per namespace")]
    private static partial void LogClusterListFailed(ILogger logger, string error);
}

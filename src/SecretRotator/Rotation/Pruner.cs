using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// settings.prune: deletes managed secrets no longer selected by the config and removes the imagePullSecrets
/// entries this tool added for them. Only secrets carrying our label are candidates; deletes are pinned to
/// the resourceVersion that was listed, so a secret rewritten meanwhile by another run survives.
/// </summary>
public sealed class Pruner(IKubernetesClientProvider kubernetes, ServiceAccountPatcher patcher)
{
    /// <param name="orphans">The candidates, from <see cref="RunPlan.Orphans"/>: only secrets this installation
    /// (settings.instance) wrote, so several installations with prune enabled never delete each other's secrets.</param>
    /// <param name="accounts">The pass's service-account index (saves reads of accounts it already holds).</param>
    /// <param name="shutdown">SIGTERM: like every other write, no new delete starts, the one in flight finishes.</param>
    public async Task<List<TargetResult>> PruneAsync(IEnumerable<KeyValuePair<(string Namespace, string Name), V1Secret>> orphans, bool dryRun,
        ServiceAccountIndex accounts, CancellationToken cancellationToken, CancellationToken shutdown = default)
    {
        var results = new List<TargetResult>();
        foreach (var ((ns, name), secret) in orphans)
        {
            if (cancellationToken.IsCancellationRequested || shutdown.IsCancellationRequested)
            {
                results.Add(new TargetResult(name, ns, Outcome.Failed, "not_done",
                    shutdown.IsCancellationRequested ? "not done: prune stopped by shutdown" : "not done: prune stopped by the run deadline"));
                continue;
            }
            try
            {
                if (!dryRun) await DeleteAsync(name, ns, secret, cancellationToken);
                if (await UnlinkAsync(name, ns, dryRun, accounts, cancellationToken) is { } failure) results.Add(failure);
                else results.Add(new TargetResult(name, ns, Outcome.Pruned, Message: dryRun ? "dry run: would delete" : "deleted"));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict)
            {
                // Changed since we listed it (another run rewrote it, so it is wanted again): leave it.
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
            {
                var (reason, message) = KubernetesErrors.Describe(e, "delete", "secrets", ns);
                results.Add(new TargetResult(name, ns, Outcome.Failed, reason, $"prune: {message}"));
            }
        }
        return results;
    }

    /// <summary>Deletes pinned to the listed version; already gone is fine (its service-account entries still go).</summary>
    private async Task DeleteAsync(string name, string ns, V1Secret secret, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.Client.CoreV1.DeleteNamespacedSecretAsync(name, ns,
                new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = secret.ResourceVersion() } },
                cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private async Task<TargetResult?> UnlinkAsync(string secret, string ns, bool dryRun, ServiceAccountIndex known, CancellationToken cancellationToken)
    {
        var accounts = await kubernetes.Client.CoreV1.ListNamespacedServiceAccountAsync(ns, cancellationToken: cancellationToken);
        foreach (var sa in accounts.Items)
        {
            var added = sa.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation)?.Split(',', StringSplitOptions.TrimEntries) ?? [];
            if (!added.Contains(secret, StringComparer.Ordinal)) continue;
            if (await patcher.RemoveAsync(secret, ns, sa.Metadata.Name, dryRun, cancellationToken, known) is { } failure) return failure;
        }
        return null;
    }
}

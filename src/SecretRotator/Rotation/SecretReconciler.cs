using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// Brings one (secret, namespace) to what the config wants: creates, replaces or leaves the secret (keeping a
/// failed registry's stored entries), then adds it to the target's service accounts. The one write path shared by
/// <c>run</c> and the daemon's events.
/// </summary>
public sealed class SecretReconciler(IKubernetesClientProvider kubernetes, ServiceAccountPatcher patcher)
{
    /// <summary>Never throws for API or data failures: they come back as a failed <see cref="TargetResult"/>.
    /// Throws <see cref="OperationCanceledException"/> only if cancelled outside an API call.</summary>
    public async Task<TargetResult> ReconcileAsync(SecretTarget target, string ns, RunContext context)
    {
        var writer = new SecretWriter(kubernetes.Client, context.Settings.Adopt);
        try
        {
            var (result, desired) = await writer.WriteAsync(target.Name, ns,
                current => SecretBuilder.Build(target, ns, DueCredentials(target, current, context), current, context.Now, context.Settings.Instance),
                context.Listed.GetValueOrDefault((ns, target.Name)), context.DryRun, context.CancellationToken);
            string RegistryErrors() => string.Join("; ", desired!.MissingRegistries.Select(r =>
                $"registry {r}: {context.RegistryResults.GetValueOrDefault(r)?.Error ?? "no credential"}"));
            if (desired is { HasEntries: false })
                return result with { Message = $"nothing to write: {RegistryErrors()}" };
            if (result.Outcome is Outcome.Created or Outcome.Updated or Outcome.Unchanged)
            {
                foreach (var account in target.ServiceAccounts)
                {
                    if (await patcher.EnsureAsync(target.Name, ns, account, context.DryRun, context.CancellationToken, context.Accounts) is { } failure) return failure;
                }
            }
            // Written with the registries that worked, but a registry is missing: the target is not fully done.
            if (desired is { MissingRegistries.Count: > 0 } && !result.Outcome.IsFailure() && result.Outcome != Outcome.MissingNamespace)
                return result with { Outcome = Outcome.Failed, Reason = "registry_failed", Message = $"{result.Outcome.Label()} without: {RegistryErrors()}" };
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or unexpected data must cost this one target, never the whole run: it is reported and counted.
            return new TargetResult(target.Name, ns, Outcome.Failed, "error", $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// The fresh credentials this secret should take: only for registries due in it (new, broken, or within
    /// refreshBefore of expiry). A token fetched because another secret needed it does not rewrite a secret whose
    /// stored entry is still valid, so a new namespace costs one write, not one per namespace.
    /// </summary>
    private static IReadOnlyDictionary<string, Registries.RegistryCredential> DueCredentials(SecretTarget target, k8s.Models.V1Secret? current, RunContext context)
    {
        if (context.Force) return context.Credentials;
        var due = RunPlanner.DueRegistries(target, current, context.Now, context.Settings.RefreshBefore).ToHashSet(StringComparer.Ordinal);
        return context.Credentials.Where(c => due.Contains(c.Key)).ToDictionary(StringComparer.Ordinal);
    }
}

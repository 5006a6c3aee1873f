using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// Brings one (secret, namespace) to what the config wants: creates, replaces or leaves the secret (keeping a
/// failed registry's stored entries), then adds it to the target's service accounts. The one write path shared by
/// a full pass and the daemon's per-event reconciles: a pass calls <see cref="WriteSecretAsync"/> for every pair and
/// then <see cref="ServiceAccountBatch"/> once; <see cref="ReconcileAsync"/> does both for one pair.
/// </summary>
public sealed class SecretReconciler(IKubernetesClientProvider kubernetes, ServiceAccountBatch accounts)
{
    /// <summary>Never throws for API or data failures: they come back as a failed <see cref="TargetResult"/>.
    /// Throws <see cref="OperationCanceledException"/> only if cancelled outside an API call.</summary>
    public async Task<TargetResult> ReconcileAsync(SecretTarget target, string ns, RunContext context)
    {
        var written = await WriteSecretAsync(target, ns, context);
        if (!written.NeedsAccounts) return written.Result;
        return (await accounts.EnsureAsync([(new PlannedSecret(target, ns), written)], context, concurrency: 1))[0];
    }

    /// <summary>The secret half of <see cref="ReconcileAsync"/>: writes the secret and says whether its service accounts
    /// are to be ensured. <see cref="WrittenSecret.Result"/> is the target's result once they are.</summary>
    public async ValueTask<WrittenSecret> WriteSecretAsync(SecretTarget target, string ns, RunContext context)
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
                return new WrittenSecret(result with { Message = $"nothing to write: {RegistryErrors()}" }, NeedsAccounts: false);
            var needsAccounts = result.Outcome is Outcome.Created or Outcome.Updated or Outcome.Unchanged && target.ServiceAccounts.Count > 0;
            // Written with the registries that worked, but a registry is missing: the target is not fully done.
            if (desired is { MissingRegistries.Count: > 0 } && !result.Outcome.IsFailure() && result.Outcome != Outcome.MissingNamespace)
                result = result with { Outcome = Outcome.Failed, Reason = "registry_failed", Message = $"{result.Outcome.Label()} without: {RegistryErrors()}" };
            return new WrittenSecret(result, needsAccounts);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new WrittenSecret(Unexpected(target.Name, ns, e), NeedsAccounts: false);
        }
    }

    /// <summary>
    /// The fresh credentials this secret should take: only for registries due in it (new, broken, or within
    /// refreshBefore of expiry). A token fetched because another secret needed it does not rewrite a secret whose
    /// stored entry is still valid, so a new namespace costs one write, not one per namespace.
    /// </summary>
    private static IReadOnlyDictionary<string, RegistryCredential> DueCredentials(SecretTarget target, k8s.Models.V1Secret? current, RunContext context)
    {
        // Nothing fetched (the usual steady-state pass): nothing can be due, and no per-namespace set is built.
        if (context.Force || context.Credentials.Count == 0) return context.Credentials;
        var due = RunPlanner.DueRegistries(target, current, context.Now, context.DueWithin);
        // Usually every fetched credential is due here, or none is: then no per-namespace dictionary is built.
        var dueCount = 0;
        for (var i = 0; i < due.Count; i++) dueCount += context.Credentials.ContainsKey(due[i]) ? 1 : 0;
        if (dueCount == 0) return NoCredentials;
        if (dueCount == context.Credentials.Count) return context.Credentials;
        return context.Credentials.Where(c => due.Contains(c.Key)).ToDictionary(StringComparer.Ordinal); // string's default equality is ordinal
    }

    private static readonly IReadOnlyDictionary<string, RegistryCredential> NoCredentials =
        new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);

    // A bug or unexpected data must cost this one target, never the whole run: it is reported and counted.
    internal static TargetResult Unexpected(string secret, string ns, Exception e) =>
        new(secret, ns, Outcome.Failed, "error", $"unexpected {e.GetType().Name}: {e.Message}");
}

/// <summary>A written (or left) secret. <see cref="NeedsAccounts"/>: its service accounts must list it before
/// <see cref="Result"/> holds; a failure there replaces the result.</summary>
public sealed record WrittenSecret(TargetResult Result, bool NeedsAccounts);

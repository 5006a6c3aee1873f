using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// The first phase of a pass: which (secret, namespace) pairs the config selects, which managed secrets exist,
/// and which registries are due. Reads only (namespace and secret LISTs); writes nothing and fetches no token,
/// so <c>run</c>, <c>status</c> and a daemon's full pass share it.
/// </summary>
public sealed class RunPlanner(IKubernetesClientProvider kubernetes, TimeProvider time, ILogger<RunPlanner> logger)
{
    /// <summary>Plans a pass as <c>run</c> does: managed secrets everywhere are listed only when prune needs them.</summary>
    public Task<RunPlan> PlanAsync(RotatorConfig config, RunOptions options, CancellationToken cancellationToken) =>
        PlanAsync(config, options, findOrphans: config.Settings.Prune, cancellationToken);

    /// <param name="findOrphans">List managed secrets cluster-wide (unless --namespace narrows the pass) so that secrets
    /// no longer selected are seen: prune and status.</param>
    /// <param name="cancellationToken">The run's deadline and shutdown: a cancelled plan is returned with
    /// <see cref="RunPlan.Interrupted"/> set, never thrown, so the pass can report every target as not done.</param>
    public async Task<RunPlan> PlanAsync(RotatorConfig config, RunOptions options, bool findOrphans, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var client = kubernetes.Client;
        var targets = config.Secrets.Where(t => options.Secret is null || t.Name == options.Secret).ToList();
        var (items, unresolved) = await ResolveAsync(targets, new NamespaceResolver(client), options, cancellationToken);

        var namespaces = items.Select(p => p.Namespace).Distinct(StringComparer.Ordinal).ToList();
        // Explicit names need no cluster-wide access; globs, selectors and orphans (secrets in namespaces no longer
        // configured) use one cluster-wide LIST, falling back per namespace on 403.
        var clusterWide = options.Namespaces.Count == 0 && (findOrphans || targets.Any(t => !t.Namespaces.IsExplicitOnly));
        var listing = new ManagedSecretLister.Listing([]);
        var due = new Dictionary<string, RegistryDefinition>(StringComparer.Ordinal);
        var interrupted = false;
        try
        {
            listing = await new ManagedSecretLister(client, logger).ListAsync(namespaces, clusterWide, config.Settings.Concurrency, cancellationToken);
            foreach (var item in items)
            {
                var registries = options.Force ? item.Target.Registries : DueRegistries(item.Target, listing.Secrets.GetValueOrDefault(item.Key), now, config.Settings.RefreshBefore);
                foreach (var registry in registries) due[registry] = config.Registry(registry);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped before any write: every planned target is reported not_done, nothing is half done.
            interrupted = true;
        }
        return new RunPlan(config, options, now, targets, items, unresolved, listing, clusterWide, [.. due.Values], interrupted);
    }

    private static async Task<(List<PlannedSecret>, List<TargetResult>)> ResolveAsync(
        List<SecretTarget> targets, NamespaceResolver resolver, RunOptions options, CancellationToken cancellationToken)
    {
        var items = new List<PlannedSecret>();
        var unresolved = new List<TargetResult>();
        foreach (var target in targets)
        {
            try
            {
                foreach (var ns in await resolver.ResolveAsync(target.Namespaces, options.Namespaces, cancellationToken)) items.Add(new PlannedSecret(target, ns));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var (reason, message) = KubernetesErrors.Describe(e, "list", "namespaces", null);
                unresolved.Add(new TargetResult(target.Name, "*", Outcome.Failed, reason, $"cannot resolve namespaces: {message}"));
            }
            catch (OperationCanceledException)
            {
                unresolved.Add(new TargetResult(target.Name, "*", Outcome.Failed, "not_done", "not done: stopped before its namespaces were resolved"));
            }
        }
        return (items, unresolved);
    }

    /// <summary>
    /// The registries of this target that must be fetched: all of them unless the stored secret is ours, intact and
    /// for the same registries; then only those whose stored token expires within refreshBefore, or never expires
    /// (static credentials are always re-read: it is cheap and picks up a rotated password).
    /// </summary>
    public static IEnumerable<string> DueRegistries(SecretTarget target, V1Secret? existing, DateTimeOffset now, TimeSpan refreshBefore)
    {
        if (existing is null || existing.GetLabel(ManagedSecret.ManagedByLabel) != ManagedSecret.ManagedByValue) return target.Registries;
        if (existing.GetAnnotation(ManagedSecret.RegistriesAnnotation) != string.Join(",", target.Registries)) return target.Registries;
        // Corrupt or edited behind our back (hash no longer matches): fetch afresh rather than carry the stored entries.
        var data = existing.Data?.TryGetValue(ManagedSecret.DataKey, out var bytes) == true ? bytes : null;
        if (data is null || DockerConfigJson.TryParse(data) is null || existing.GetAnnotation(ManagedSecret.ContentHashAnnotation) != SecretBuilder.Hash(data))
            return target.Registries;
        var sources = SecretSources.Parse(existing.GetAnnotation(ManagedSecret.SourcesAnnotation));
        return target.Registries.Where(r => sources?.GetValueOrDefault(r) is not { ExpiresAt: { } expiry } || expiry - now <= refreshBefore);
    }
}

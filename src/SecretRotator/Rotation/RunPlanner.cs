using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// The first phase of a pass: which (secret, namespace) pairs the config selects, which managed secrets exist,
/// and which registries are due. Reads only, from an <see cref="IClusterSnapshot"/> (LISTs for <c>run</c> and
/// <c>status</c>, the watch cache for the daemon's full pass); writes nothing and fetches no token.
/// </summary>
public sealed partial class RunPlanner(IKubernetesClientProvider kubernetes, TimeProvider time, ILogger<RunPlanner> logger)
{
    /// <summary>Plans a pass as <c>run</c> does: managed secrets everywhere are listed only when prune needs them.</summary>
    public Task<RunPlan> PlanAsync(RotatorConfig config, RunOptions options, CancellationToken cancellationToken) =>
        PlanAsync(config, options, findOrphans: config.Settings.Prune, Listed(), cancellationToken);

    /// <summary>The cluster as LISTs show it now: a fresh source per pass.</summary>
    public IClusterSnapshot Listed() => new ListedCluster(kubernetes.Client, logger);

    public Task<RunPlan> PlanAsync(RotatorConfig config, RunOptions options, bool findOrphans, CancellationToken cancellationToken) =>
        PlanAsync(config, options, findOrphans, Listed(), cancellationToken);

    /// <param name="findOrphans">List managed secrets cluster-wide (unless --namespace narrows the pass) so that secrets
    /// no longer selected are seen: prune and status.</param>
    /// <param name="cancellationToken">The run's deadline and shutdown: a cancelled plan is returned with
    /// <see cref="RunPlan.Interrupted"/> set, never thrown, so the pass can report every target as not done.</param>
    /// <param name="cluster">Where the namespaces and managed secrets are read from.</param>
    public async Task<RunPlan> PlanAsync(RotatorConfig config, RunOptions options, bool findOrphans, IClusterSnapshot cluster, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var targets = Targets(config, options);
        var clusterWide = IsClusterWide(targets, options, findOrphans);
        // The cluster-wide LIST does not depend on the namespaces: it runs while they are resolved.
        var clusterListing = clusterWide ? cluster.TryListClusterWideAsync(cancellationToken) : Task.FromResult<ManagedSecretLister.Listing?>(null);
        var (items, unresolved) = await ResolveAsync(targets, cluster, options, logger, cancellationToken);

        var listing = new ManagedSecretLister.Listing([]);
        var due = new Dictionary<string, RegistryDefinition>(StringComparer.Ordinal);
        var interrupted = false;
        try
        {
            listing = await clusterListing ?? await cluster.ListPerNamespaceAsync(
                items.Select(p => p.Namespace).Distinct(StringComparer.Ordinal).ToList(), config.Settings.Concurrency, cancellationToken);
            foreach (var item in items)
            {
                var registries = options.Force ? item.Target.Registries : DueRegistries(item.Target, listing.Secrets.GetValueOrDefault(item.Key), now, options.DueWithin(config.Settings));
                for (var i = 0; i < registries.Count; i++) due[registries[i]] = config.Registry(registries[i]);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped before any write: every planned target is reported not_done, nothing is half done.
            interrupted = true;
        }
        return new RunPlan(config, options, now, targets, items, unresolved, listing, clusterWide, [.. due.Values], interrupted);
    }

    /// <summary>The targets a pass covers (all, or the one --secret names).</summary>
    public static List<SecretTarget> Targets(RotatorConfig config, RunOptions options) =>
        config.Secrets.Where(t => options.Secret is null || t.Name == options.Secret).ToList();

    /// <summary>
    /// Explicit names need no cluster-wide access; globs, selectors and orphans (secrets in namespaces no longer
    /// configured) use one cluster-wide LIST, falling back per namespace on 403.
    /// </summary>
    public static bool IsClusterWide(IReadOnlyList<SecretTarget> targets, RunOptions options, bool findOrphans) =>
        options.Namespaces.Count == 0 && (findOrphans || targets.Any(t => !t.Namespaces.IsExplicitOnly));

    private static async Task<(List<PlannedSecret>, List<TargetResult>)> ResolveAsync(
        List<SecretTarget> targets, IClusterSnapshot resolver, RunOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var items = new List<PlannedSecret>();
        var unresolved = new List<TargetResult>();
        foreach (var target in targets)
        {
            try
            {
                foreach (var ns in await resolver.ResolveAsync(target.Namespaces, options.Namespaces, cancellationToken)) items.Add(new PlannedSecret(target, ns));
                foreach (var ns in await resolver.DroppedBySelectorAsync(target.Namespaces, options.Namespaces, cancellationToken))
                    LogDroppedBySelector(logger, target.Name, ns, target.Namespaces.Selector!);
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
    /// for the same registries; then only those whose stored token expires within <paramref name="refreshBefore"/>, or
    /// never expires (static credentials are always re-read: it is cheap and picks up a rotated password). The daemon
    /// passes refreshBefore plus the time until it next looks (<see cref="RunOptions.LookAhead"/>), so no stored token
    /// can expire between two looks while a fresh one is at hand.
    /// </summary>
    public static IReadOnlyList<string> DueRegistries(SecretTarget target, V1Secret? existing, DateTimeOffset now, TimeSpan refreshBefore)
    {
        if (existing is null || existing.GetLabel(ManagedSecret.ManagedByLabel) != ManagedSecret.ManagedByValue) return target.Registries;
        if (!IsJoined(existing.GetAnnotation(ManagedSecret.RegistriesAnnotation), target.Registries)) return target.Registries;
        // Corrupt or edited behind our back (hash no longer matches): fetch afresh rather than carry the stored entries.
        var data = existing.Data?.TryGetValue(ManagedSecret.DataKey, out var bytes) == true ? bytes : null;
        if (data is null || StoredSecretFacts.Of(data) is not { Entries: not null } facts || existing.GetAnnotation(ManagedSecret.ContentHashAnnotation) != facts.Hash)
            return target.Registries;
        var sources = SecretSources.ParseShared(existing.GetAnnotation(ManagedSecret.SourcesAnnotation));
        // Asked twice for every listed secret of a pass: a list is built only once a registry is found not due.
        List<string>? some = null;
        for (var i = 0; i < target.Registries.Count; i++)
        {
            var registry = target.Registries[i];
            if (sources?.GetValueOrDefault(registry) is not { ExpiresAt: { } expiry } || expiry - now <= refreshBefore)
            {
                some?.Add(registry);
                continue;
            }
            some ??= [.. target.Registries.Take(i)]; // every one before this was due
        }
        return some ?? target.Registries;
    }

    /// <summary><c>text == string.Join(",", parts)</c> without building the joined string (once per listed secret).</summary>
    internal static bool IsJoined(string? text, IReadOnlyList<string> parts)
    {
        if (text is null) return false;
        var rest = text.AsSpan();
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                if (rest.IsEmpty || rest[0] != ',') return false;
                rest = rest[1..];
            }
            if (!rest.StartsWith(parts[i], StringComparison.Ordinal)) return false;
            rest = rest[parts[i].Length..];
        }
        return rest.IsEmpty;
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Secret {Secret}: namespace {Namespace} is named in the config, but the selector '{Selector}' does not select it (a namespace must match both), or it does not exist; skipped")]
    private static partial void LogDroppedBySelector(ILogger logger, string secret, string @namespace, string selector);
}

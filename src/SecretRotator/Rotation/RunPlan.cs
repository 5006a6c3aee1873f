using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>One (secret, namespace) the config selects.</summary>
public sealed record PlannedSecret(SecretTarget Target, string Namespace)
{
    public (string Namespace, string Name) Key => (Namespace, Target.Name);
}

/// <summary>
/// What one pass will do, before it does anything: the selected (secret, namespace) pairs, the managed secrets
/// found, and the registries whose credentials are due. Built by <see cref="RunPlanner"/>; read-only.
/// </summary>
/// <param name="Now">The pass's clock reading: due decisions, rotated-at and metrics all use it.</param>
/// <param name="Targets">The secret targets in scope (all, or the one named by --secret).</param>
/// <param name="Items">Every selected (secret, namespace), in target order then namespace order.</param>
/// <param name="Unresolved">One failed result per target whose namespaces could not be resolved.</param>
/// <param name="Listing">The managed secrets found (by label); never mutate these objects, clone them.</param>
/// <param name="ClusterWide">True when the listing was asked for cluster-wide (globs, selectors, or orphans wanted).</param>
/// <param name="Due">The registries to fetch: those of a target whose stored copy is absent, foreign, changed or near expiry.</param>
/// <param name="Interrupted">The deadline or shutdown stopped planning; <see cref="Listing"/> and <see cref="Due"/> are then empty.</param>
public sealed record RunPlan(
    RotatorConfig Config,
    RunOptions Options,
    DateTimeOffset Now,
    IReadOnlyList<SecretTarget> Targets,
    IReadOnlyList<PlannedSecret> Items,
    IReadOnlyList<TargetResult> Unresolved,
    ManagedSecretLister.Listing Listing,
    bool ClusterWide,
    IReadOnlyList<RegistryDefinition> Due,
    bool Interrupted)
{
    public bool ResolutionFailed => Unresolved.Count > 0;

    /// <summary>The listed managed secret for this pair, if any (shared: never mutate it).</summary>
    public V1Secret? Existing(PlannedSecret item) => Listing.Secrets.GetValueOrDefault(item.Key);

    /// <summary>
    /// Managed secrets of this installation (settings.instance) that the config no longer selects, within
    /// --namespace when given: what prune deletes and what status calls orphaned.
    /// </summary>
    public IReadOnlyList<KeyValuePair<(string Namespace, string Name), V1Secret>> Orphans()
    {
        var keep = Items.Select(p => p.Key).ToHashSet();
        return Listing.Secrets
            .Where(kv => !keep.Contains(kv.Key))
            // Exactly this installation's label: a managed secret without one (hand-made, or from another tool
            // version) is never assumed to be ours.
            .Where(kv => kv.Value.GetLabel(ManagedSecret.InstanceLabel) == Config.Settings.Instance)
            .Where(kv => Options.Namespaces.Count == 0 || Options.Namespaces.Contains(kv.Key.Namespace))
            .OrderBy(kv => kv.Key.Namespace, StringComparer.Ordinal).ThenBy(kv => kv.Key.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The earliest expiry of this registry's token among the listed secrets that hold it, or null.</summary>
    public DateTimeOffset? StoredExpiry(string registry) =>
        Items.Where(p => p.Target.Registries.Contains(registry))
            .Select(Existing)
            .Select(s => SecretSources.ParseShared(s?.GetAnnotation(ManagedSecret.SourcesAnnotation))?.GetValueOrDefault(registry)?.ExpiresAt)
            .Where(e => e.HasValue).Min();
}

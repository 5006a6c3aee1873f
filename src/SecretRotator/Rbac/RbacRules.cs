using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Registries.Mirror;
using SecretRotator.Registries.Static;

namespace SecretRotator.Rbac;

/// <summary>cluster: one ClusterRole; namespaced: one Role per namespace (exact namespace names only).</summary>
public enum RbacScope
{
    Cluster,
    Namespaced,
}

/// <summary>The rules of one Role (<see cref="Namespace"/> set) or of the ClusterRole (null).</summary>
public sealed record RbacGrant(string? Namespace, IReadOnlyList<V1PolicyRule> Rules);

/// <summary>
/// The Kubernetes API access a config needs: the one source of truth for <c>secret-rotator rbac</c>, checked against
/// the Helm chart's rendered rules and against the requests the tool makes (tests/…/Chart/RbacEnforcementTests).
/// A new API call needs a rule here, or those tests fail.
/// </summary>
public static class RbacRules
{
    /// <summary>Leader election in the daemon's own namespace: create cannot be limited to a name, get and update are.</summary>
    public static IReadOnlyList<V1PolicyRule> LeaseRules(string leaseName) =>
    [
        new() { ApiGroups = ["coordination.k8s.io"], Resources = ["leases"], Verbs = ["create"] },
        new() { ApiGroups = ["coordination.k8s.io"], Resources = ["leases"], ResourceNames = [leaseName], Verbs = ["get", "update"] },
    ];

    /// <param name="daemon">Adds watch (informers) and namespace list for the daemon's namespace watch.</param>
    /// <param name="typeRepair">Grants secrets delete without prune: a managed Secret whose type was changed is replaced by delete + create.</param>
    /// <exception cref="InvalidOperationException">Namespaced scope with namespace globs or selectors.</exception>
    public static IReadOnlyList<RbacGrant> For(RotatorConfig config, RbacScope scope, bool daemon = false, bool typeRepair = false)
    {
        // namespaces: get (a dry run checks a namespace exists); list to resolve globs and selectors.
        // secrets: get/list/create/update always; delete for prune and type repair.
        // serviceaccounts: read and patch imagePullSecrets (a JSON patch, never an update); prune also unlinks, so it needs them too.
        var needsList = config.Secrets.Any(s => !s.Namespaces.IsExplicitOnly);
        var prune = config.Settings.Prune;
        List<string> secretVerbs = ["get", "list", "create", "update"];
        if (prune || typeRepair) secretVerbs.Add("delete");
        List<string> accountVerbs = ["get", "list", "patch"];
        if (daemon)
        {
            secretVerbs.Add("watch");
            accountVerbs.Add("watch");
        }

        if (scope == RbacScope.Cluster)
        {
            List<string> namespaceVerbs = ["get"];
            if (needsList || daemon) namespaceVerbs.Add("list");
            if (daemon) namespaceVerbs.Add("watch");
            List<V1PolicyRule> rules = [Rule("namespaces", namespaceVerbs), Rule("secrets", secretVerbs)];
            if (prune || config.Secrets.Any(s => s.ServiceAccounts.Count > 0)) rules.Add(Rule("serviceaccounts", accountVerbs));
            return [new RbacGrant(null, rules)];
        }

        if (needsList)
        {
            var names = string.Join(", ", config.Secrets.Where(s => !s.Namespaces.IsExplicitOnly).Select(s => s.Name));
            throw new InvalidOperationException($"namespaced RBAC needs exact namespace names, but secret(s) {names} use a glob or a selector; use cluster scope");
        }

        // Per target namespace: does any target there patch service accounts?
        var targets = new SortedDictionary<string, bool>(StringComparer.Ordinal);
        foreach (var secret in config.Secrets)
        {
            foreach (var ns in secret.Namespaces.Names.Where(n => !secret.Namespaces.Exclude.Any(g => Glob.IsMatch(g, n))))
                targets[ns] = targets.GetValueOrDefault(ns) || secret.ServiceAccounts.Count > 0 || prune;
        }
        // Per namespace, service accounts are read one by one (GET); only prune and the daemon's informer list them there.
        List<string> namespacedAccountVerbs = [.. accountVerbs.Where(v => v != "list" || prune || daemon)];
        var grants = targets.Select(t => new RbacGrant(t.Key,
            t.Value ? [Rule("secrets", secretVerbs), Rule("serviceaccounts", namespacedAccountVerbs)] : [Rule("secrets", secretVerbs)])).ToList();

        // {secret:} and mirror sources outside the target namespaces: get on exactly those Secrets. The daemon also
        // watches mirror sources (by fieldSelector metadata.name, which RBAC authorizes against resourceNames).
        var mirrorSources = daemon ? MirrorSources.Of(config).Select(m => (m.Source.Namespace, m.Source.Name)).ToHashSet() : [];
        var sources = SourceSecrets(config)
            .Where(s => !targets.ContainsKey(s.Namespace))
            .GroupBy(s => s.Namespace, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in sources)
        {
            var names = group.Select(s => s.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var watched = names.Where(n => mirrorSources.Contains((group.Key, n))).ToList();
            var readOnly = names.Except(watched, StringComparer.Ordinal).ToList();
            List<V1PolicyRule> rules = [];
            if (readOnly.Count > 0) rules.Add(Rule("secrets", ["get"], readOnly));
            if (watched.Count > 0) rules.Add(Rule("secrets", ["get", "list", "watch"], watched));
            grants.Add(new RbacGrant(group.Key, rules));
        }
        return grants;
    }

    /// <summary>Every Secret a registry reads its credentials from: <c>{secret:}</c> values and mirror sources.</summary>
    public static IEnumerable<(string Namespace, string Name)> SourceSecrets(RotatorConfig config) =>
        config.Registries.SelectMany(r => r.Options switch
        {
            StaticRegistryOptions s => new[] { s.Username, s.Password }.OfType<ValueSource.SecretKey>().Select(k => (k.Namespace, k.Name)),
            MirrorRegistryOptions m => [(m.Namespace, m.Name)],
            _ => [],
        });

    private static V1PolicyRule Rule(string resource, IList<string> verbs, IList<string>? resourceNames = null) =>
        new() { ApiGroups = [""], Resources = [resource], Verbs = verbs, ResourceNames = resourceNames };
}

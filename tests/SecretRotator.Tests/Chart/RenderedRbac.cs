using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Rbac;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Chart;

/// <summary>The rules a render grants, as <see cref="RbacGrant"/>s (ClusterRole: namespace null), and an authorizer over them.</summary>
internal static class RenderedRbac
{
    public static string LeaderElectionRole => $"{HelmChart.Release}-secret-rotator-leader-election";

    /// <summary>The ClusterRole and the per-namespace Roles, without the daemon's leader-election Role.</summary>
    public static IReadOnlyList<RbacGrant> Grants(Rendered rendered) =>
    [
        .. rendered.Of<V1ClusterRole>().Select(r => new RbacGrant(null, [.. r.Rules])),
        .. rendered.Of<V1Role>().Where(r => r.Metadata.Name != LeaderElectionRole).Select(r => new RbacGrant(r.Metadata.NamespaceProperty, [.. r.Rules])),
    ];

    /// <summary>One line per (scope, rule), order-free, for comparing two sets of grants.</summary>
    public static IEnumerable<string> Canonical(IEnumerable<RbacGrant> grants) =>
        grants.SelectMany(g => g.Rules.Select(r =>
            $"{g.Namespace ?? "(cluster)"} groups=[{Join(r.ApiGroups)}] resources=[{Join(r.Resources)}] verbs=[{Join(r.Verbs)}] names=[{Join(r.ResourceNames)}]"))
            .Order(StringComparer.Ordinal);

    /// <summary>Every rendered ClusterRole and Role, the daemon's leader-election Role included.</summary>
    public static IReadOnlyList<RbacGrant> AllGrants(Rendered rendered) =>
    [
        .. rendered.Of<V1ClusterRole>().Select(r => new RbacGrant(null, [.. r.Rules])),
        .. rendered.Of<V1Role>().Select(r => new RbacGrant(r.Metadata.NamespaceProperty, [.. r.Rules])),
    ];

    /// <summary>Does RBAC with these grants allow the request? (resourceNames restrict by name; Roles never grant cluster-scoped requests.)</summary>
    public static bool Allows(IReadOnlyList<RbacGrant> grants, KubeRequestInfo request) =>
        grants.Any(g => (g.Namespace is null || (request.Resource != "namespaces" && g.Namespace == request.Namespace))
            && g.Rules.Any(r => r.ApiGroups.Contains(request.Resource == "leases" ? "coordination.k8s.io" : "") && r.Resources.Contains(request.Resource) && r.Verbs.Contains(request.Verb)
                && (r.ResourceNames is null || (request.Name is not null && r.ResourceNames.Contains(request.Name)))));

    /// <summary>Every (resource, verb) the grants name, e.g. "secrets delete".</summary>
    public static IReadOnlySet<string> Verbs(IEnumerable<RbacGrant> grants) =>
        grants.SelectMany(g => g.Rules.SelectMany(r => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{res} {v}")))).ToHashSet(StringComparer.Ordinal);

    private static string Join(IEnumerable<string>? items) => items is null ? "" : string.Join(",", items.Order(StringComparer.Ordinal));
}

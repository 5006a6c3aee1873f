namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>
/// A deny rule for the fake's authorizer. Verb and Resource accept "*". Scope: <see cref="AtClusterScope"/> denies only
/// cluster-scoped requests (e.g. LIST /api/v1/secrets, the case of a rotator that has Roles but no ClusterRole),
/// <see cref="InNamespace"/> only requests in that namespace, <see cref="Everywhere"/> both.
/// </summary>
public sealed record RbacDenyRule(string Verb, string Resource, string? Namespace, bool ClusterScope)
{
    public static RbacDenyRule AtClusterScope(string verb, string resource) => new(verb, resource, null, true);
    public static RbacDenyRule InNamespace(string verb, string resource, string ns) => new(verb, resource, ns, false);
    public static RbacDenyRule Everywhere(string verb, string resource) => new(verb, resource, null, false);

    internal bool Denies(string verb, string resource, string? scopeNamespace) =>
        (Verb == "*" || Verb == verb) && (Resource == "*" || Resource == resource) &&
        (Namespace is not null ? scopeNamespace == Namespace : !ClusterScope || scopeNamespace is null);
}

/// <summary>
/// The authorizer: everything is allowed unless a deny rule matches, or, once <see cref="Allow"/> is set, only what it
/// allows (like real RBAC, where nothing is granted by default).
/// </summary>
internal sealed class FakeRbac
{
    private readonly Lock _gate = new();
    private readonly List<RbacDenyRule> _rules = [];

    public string User { get; set; } = "system:serviceaccount:secret-rotator:secret-rotator";

    /// <summary>When set, a request is served only if this returns true for it.</summary>
    public Func<KubeRequestInfo, bool>? Allow { get; set; }

    public void Deny(RbacDenyRule rule)
    {
        lock (_gate) { _rules.Add(rule); }
    }

    public void Clear()
    {
        lock (_gate) { _rules.Clear(); }
    }

    public void Authorize(KubeRequestInfo request)
    {
        // The apiserver's RequestInfo treats /api/v1/namespaces/{name} as being "in" namespace {name}.
        var scope = request.Resource == "namespaces" ? request.Name : request.Namespace;
        bool denied;
        lock (_gate) { denied = _rules.Exists(r => r.Denies(request.Verb, request.Resource, scope)); }
        denied |= Allow is { } allow && !allow(request);
        if (denied)
        {
            throw KubeStatus.Forbidden(User, request.Verb, request.Resource, request.Verb == "create" ? null : request.Name, scope);
        }
    }
}

/// <summary>One served (or failed) request, for assertions such as "no writes on the second run".</summary>
public sealed record KubeRequestRecord(string Method, string Path, string Query, string Verb, string Resource, string? Namespace,
    string? Name, int StatusCode, KubeFault? Fault)
{
    public bool IsWrite => Verb is "create" or "update" or "patch" or "delete";
}

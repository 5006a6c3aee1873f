using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>
/// Creates, replaces or leaves one Secret. Optimistic concurrency throughout: every replace carries the
/// resourceVersion it read, and a 409 means "re-read and decide again", so two runs at once both end correct.
/// </summary>
public sealed class SecretWriter(IKubernetes kubernetes, bool adopt)
{
    private const int MaxConflictRetries = 5;

    /// <param name="build">Builds the desired secret from the current object (null: none). Called again after every
    /// re-read, so entries carried over from the stored secret always come from the version being replaced.</param>
    /// <param name="existing">The managed secret from the run's LIST, or null if none was listed.</param>
    /// <returns>The outcome, and the desired secret it was decided on (null when the namespace is missing).</returns>
    public async ValueTask<(TargetResult Result, DesiredSecret? Desired)> WriteAsync(
        string name, string ns, Func<V1Secret?, DesiredSecret> build, V1Secret? existing, bool dryRun, CancellationToken cancellationToken)
    {
        // The LIST only shows our secrets; a same-named foreign one surfaces as 409 AlreadyExists on create,
        // so a real run creates first and reads only then (one request per new secret, not two).
        var mustRead = dryRun && existing is null;
        // A write whose response was lost may have landed: if a re-read then finds exactly our content, the secret
        // was written by this run and is reported as such. A write answered 409 did not land: identical content found
        // then was written by someone else (a concurrent run), and this run reports it unchanged.
        Outcome? attempted = null;
        // What carried-over entries come from; survives the delete of a type change.
        var basis = existing;
        DesiredSecret? desired = null;
        var deletedForTypeChange = false;
        var verb = "get"; // the request a failure answers, so a 403 names the rule that is missing
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (mustRead)
                {
                    verb = "get";
                    (existing, var namespaceMissing) = await ReadAsync(name, ns, dryRun, cancellationToken);
                    if (namespaceMissing) return (MissingNamespace(name, ns), null);
                    basis = existing ?? basis;
                }
                mustRead = false;
                desired = build(basis);
                if (!desired.HasEntries) return (new TargetResult(name, ns, Outcome.Failed, "registry_failed"), desired);
                var decision = Decide(name, ns, desired.Secret, existing);
                if (decision is not null)
                    return (decision.Outcome == Outcome.Unchanged && attempted is { } written ? new TargetResult(name, ns, written) : decision, desired);
                if (dryRun) return (Planned(name, ns, existing is null ? Outcome.Created : Outcome.Updated), desired);

                if (existing is null)
                {
                    attempted ??= Outcome.Created;
                    verb = "create";
                    await kubernetes.CoreV1.CreateNamespacedSecretAsync(Fresh(desired.Secret), ns, cancellationToken: cancellationToken);
                    return (new TargetResult(name, ns, deletedForTypeChange ? Outcome.Updated : Outcome.Created,
                        Message: deletedForTypeChange ? "type changed: replaced by delete and create" : null), desired);
                }
                attempted ??= Outcome.Updated;
                if (existing.Type != desired.Secret.Type)
                {
                    // type is immutable: delete (pinned to the version we judged), then create on the next pass.
                    verb = "delete";
                    await kubernetes.CoreV1.DeleteNamespacedSecretAsync(name, ns,
                        new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = existing.ResourceVersion() } },
                        cancellationToken: cancellationToken);
                    deletedForTypeChange = true;
                    existing = null;
                    continue;
                }
                verb = "update";
                await kubernetes.CoreV1.ReplaceNamespacedSecretAsync(SecretBuilder.MergeInto(existing, desired.Secret), name, ns, cancellationToken: cancellationToken);
                return (new TargetResult(name, ns, Outcome.Updated), desired);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < MaxConflictRetries)
            {
                mustRead = true; // AlreadyExists or a stale resourceVersion: someone else wrote; look again.
                if (!KubernetesResilience.FollowedLostResponse(e.Response)) attempted = null;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && KubernetesErrors.DetailsKind(e) == "namespaces")
            {
                return (MissingNamespace(name, ns), null);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && attempt < MaxConflictRetries)
            {
                existing = null; // deleted between our read and our write: create it.
                mustRead = false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                var repair = verb == "delete"
                    ? "; its type changed, and type is immutable, so it is replaced by delete and create (Helm chart: set rbac.typeRepair=true)"
                    : "";
                return (new TargetResult(name, ns, Outcome.Failed, "forbidden", Deleted(deletedForTypeChange) + KubernetesErrors.Forbidden(verb, "secrets", ns) + repair), desired);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.UnprocessableEntity)
            {
                return (new TargetResult(name, ns, Outcome.Failed, "invalid", $"{Deleted(deletedForTypeChange)}the API server rejected the secret: {KubernetesErrors.StatusReason(e)} (HTTP 422)"), desired);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or TimeoutException
                                          || e is OperationCanceledException) // the run deadline, or a per-request timeout
            {
                var (reason, message) = KubernetesErrors.Describe(e, verb, "secrets", ns);
                return (new TargetResult(name, ns, Outcome.Failed, reason, Deleted(deletedForTypeChange) + message), desired);
            }
        }
    }

    /// <summary>A final outcome that needs no write, or null when a write is due.</summary>
    private TargetResult? Decide(string name, string ns, V1Secret desired, V1Secret? existing)
    {
        if (existing is null) return null;
        var ours = existing.GetLabel(ManagedSecret.ManagedByLabel) == ManagedSecret.ManagedByValue;
        if (!ours && !adopt)
            return new TargetResult(name, ns, Outcome.Foreign, "foreign",
                "a secret of this name exists without label app.kubernetes.io/managed-by=secret-rotator; left alone (set settings.adopt to take it over)");
        if (ours && SecretBuilder.IsUpToDate(existing, desired)) return new TargetResult(name, ns, Outcome.Unchanged);
        if (existing.Immutable == true)
            return new TargetResult(name, ns, Outcome.Failed, "immutable",
                "the secret is immutable: true and cannot be updated; delete it so it can be recreated");
        return null;
    }

    /// <summary>
    /// Reads the secret. A 404 cannot tell a missing secret from a missing namespace, which only matters for a dry run
    /// (a real run learns it from the create): then the namespace is looked up, if RBAC allows.
    /// </summary>
    private async Task<(V1Secret? Secret, bool NamespaceMissing)> ReadAsync(string name, string ns, bool dryRun, CancellationToken cancellationToken)
    {
        try
        {
            return (await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken), false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            if (!dryRun) return (null, false);
            try
            {
                await kubernetes.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken);
                return (null, false);
            }
            catch (HttpOperationException n) when (n.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, true);
            }
            catch (HttpOperationException n) when (n.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                return (null, false); // namespace-scoped RBAC: assume it exists, as the real run would find out
            }
        }
    }

    private static TargetResult MissingNamespace(string name, string ns) =>
        new(name, ns, Outcome.MissingNamespace, "namespace_not_found", $"namespace {ns} does not exist");

    // A failed create after the delete of a type change leaves no secret until the next run: say so.
    private static string Deleted(bool deleted) => deleted ? "the secret was deleted to change its type and could not be recreated: " : "";

    private static TargetResult Planned(string name, string ns, Outcome outcome) => new(name, ns, outcome, Message: "dry run: not written");

    /// <summary>A copy without server-set fields, for create.</summary>
    private static V1Secret Fresh(V1Secret desired) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = desired.Type,
        Metadata = new V1ObjectMeta
        {
            Name = desired.Metadata.Name,
            NamespaceProperty = desired.Metadata.NamespaceProperty,
            Labels = desired.Metadata.Labels,
            Annotations = desired.Metadata.Annotations,
        },
        Data = desired.Data,
    };
}

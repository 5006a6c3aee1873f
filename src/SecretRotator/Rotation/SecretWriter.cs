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

    /// <param name="existing">The managed secret from the run's LIST, or null if none was listed.</param>
    public async Task<TargetResult> WriteAsync(DesiredSecret desired, V1Secret? existing, bool dryRun, CancellationToken cancellationToken)
    {
        var name = desired.Secret.Metadata.Name;
        var ns = desired.Secret.Metadata.NamespaceProperty;
        // The LIST only shows our secrets; a same-named foreign one surfaces as 409 AlreadyExists on create,
        // so a real run creates first and reads only then (one request per new secret, not two).
        var mustRead = dryRun && existing is null;
        // A write whose response was lost may have landed: if a re-read then finds exactly our content, the
        // secret was written by this run (or an identical twin run) and is reported as such, not as unchanged.
        Outcome? attempted = null;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (mustRead) existing = await ReadAsync(name, ns, cancellationToken);
                mustRead = false;
                var decision = Decide(desired.Secret, existing);
                if (decision is not null)
                    return decision.Outcome == Outcome.Unchanged && attempted is { } written
                        ? new TargetResult(name, ns, written)
                        : decision with { Secret = name, Namespace = ns };
                if (dryRun) return Planned(name, ns, existing is null ? Outcome.Created : Outcome.Updated);

                if (existing is null)
                {
                    attempted ??= Outcome.Created;
                    await kubernetes.CoreV1.CreateNamespacedSecretAsync(Fresh(desired.Secret), ns, cancellationToken: cancellationToken);
                    return new TargetResult(name, ns, Outcome.Created);
                }
                attempted ??= Outcome.Updated;
                if (existing.Type != desired.Secret.Type)
                {
                    // type is immutable: replace by delete + create, pinned to the version we judged.
                    await kubernetes.CoreV1.DeleteNamespacedSecretAsync(name, ns,
                        new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = existing.ResourceVersion() } },
                        cancellationToken: cancellationToken);
                    await kubernetes.CoreV1.CreateNamespacedSecretAsync(Fresh(desired.Secret), ns, cancellationToken: cancellationToken);
                    return new TargetResult(name, ns, Outcome.Updated, Message: $"type was {existing.Type}; replaced by delete and create");
                }
                await kubernetes.CoreV1.ReplaceNamespacedSecretAsync(SecretBuilder.MergeInto(existing, desired.Secret), name, ns, cancellationToken: cancellationToken);
                return new TargetResult(name, ns, Outcome.Updated);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < MaxConflictRetries)
            {
                mustRead = true; // AlreadyExists or a stale resourceVersion: someone else wrote; look again.
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && KubernetesErrors.DetailsKind(e) == "namespaces")
            {
                return new TargetResult(name, ns, Outcome.MissingNamespace, "namespace_not_found", $"namespace {ns} does not exist");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && attempt < MaxConflictRetries)
            {
                existing = null; // deleted between our read and our write: create it.
                mustRead = false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                var verb = existing is null ? "create" : "update";
                return new TargetResult(name, ns, Outcome.Failed, "forbidden", KubernetesErrors.Forbidden(verb, "secrets", ns));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.UnprocessableEntity)
            {
                return new TargetResult(name, ns, Outcome.Failed, "invalid", $"the API server rejected the secret: {KubernetesErrors.StatusReason(e)} (HTTP 422)");
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or TimeoutException
                                          || e is OperationCanceledException) // the run deadline, or a per-request timeout
            {
                var (reason, message) = KubernetesErrors.Describe(e, existing is null ? "create" : "update", "secrets", ns);
                return new TargetResult(name, ns, Outcome.Failed, reason, message);
            }
        }
    }

    /// <summary>A final outcome that needs no write, or null when a write is due.</summary>
    private TargetResult? Decide(V1Secret desired, V1Secret? existing)
    {
        if (existing is null) return null;
        var ours = existing.GetLabel(ManagedSecret.ManagedByLabel) == ManagedSecret.ManagedByValue;
        if (!ours && !adopt)
            return new TargetResult("", "", Outcome.Foreign, "foreign",
                "a secret of this name exists without label app.kubernetes.io/managed-by=secret-rotator; left alone (set settings.adopt to take it over)");
        if (ours && SecretBuilder.IsUpToDate(existing, desired)) return new TargetResult("", "", Outcome.Unchanged);
        if (existing.Immutable == true)
            return new TargetResult("", "", Outcome.Failed, "immutable",
                "the secret is immutable: true and cannot be updated; delete it so it can be recreated");
        return null;
    }

    private async Task<V1Secret?> ReadAsync(string name, string ns, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

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

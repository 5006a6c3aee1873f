using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Threading;

namespace SecretRotator.Rotation;

/// <summary>
/// Keeps service accounts' imagePullSecrets pointing at our secrets. imagePullSecrets has no merge key, so a
/// strategic-merge patch would replace the whole list: we read, modify and replace with the resourceVersion,
/// retrying on 409, and record what we added in an annotation so prune removes only our own entries.
/// One instance serves the process (registered in DI): its per-account gate serialises writers across passes and events.
/// </summary>
public sealed class ServiceAccountPatcher(IKubernetesClientProvider kubernetes)
{
    private const int MaxConflictRetries = 5;

    // One writer per account: several targets adding to the same account (e.g. "default") queue up instead of
    // racing each other into 409s, and each starts from the version the previous one wrote (kept in the index).
    // Entries live only while an account is being written: namespaces come and go over a daemon's life.
    private readonly KeyedLock<(string Namespace, string Account)> _locks = new();

    /// <summary>Adds <paramref name="secret"/> to the account's imagePullSecrets if absent. Returns null on success, else a failed result.</summary>
    /// <param name="known">Accounts already listed (the pass's index, or a daemon's cache): saves the GET, and every request
    /// when nothing changes; the replaced version is recorded there. Null: the account is read.</param>
    public Task<TargetResult?> EnsureAsync(string secret, string ns, string account, bool dryRun, CancellationToken cancellationToken, ServiceAccountIndex? known = null) =>
        ModifyAsync([secret], ns, account, dryRun, add: true, known ?? new ServiceAccountIndex(), cancellationToken);

    /// <summary>Adds every one of <paramref name="secrets"/> that is absent in ONE read-modify-replace (a pass's batch:
    /// two targets sharing "default" cost one write, not two). Returns null on success, else a failed result naming the
    /// first secret: the caller reports it for every target that needed the account.</summary>
    public Task<TargetResult?> EnsureAllAsync(IReadOnlyList<string> secrets, string ns, string account, bool dryRun, CancellationToken cancellationToken,
        ServiceAccountIndex? known = null) =>
        ModifyAsync(secrets, ns, account, dryRun, add: true, known ?? new ServiceAccountIndex(), cancellationToken);

    /// <summary>True when the version held in <paramref name="known"/> already lists every one of <paramref name="secrets"/>:
    /// <see cref="EnsureAllAsync"/> would write nothing. Lets a steady-state pass skip the account without any async work.</summary>
    public static bool AlreadyLists(string secret, string ns, string account, ServiceAccountIndex known) =>
        known.Find(ns, account) is { } held && !MustAdd(held, secret);

    // The version held already has (or, removing, lacks) every entry: nothing to write.
    private static bool AsWanted(IEnumerable<string> secrets, string ns, string account, bool add, ServiceAccountIndex known) =>
        known.Find(ns, account) is { } held && !secrets.Any(secret => add ? MustAdd(held, secret) : MustRemove(held, secret));

    /// <summary>Removes the entry only if this tool added it.</summary>
    public Task<TargetResult?> RemoveAsync(string secret, string ns, string account, bool dryRun, CancellationToken cancellationToken, ServiceAccountIndex? known = null) =>
        ModifyAsync([secret], ns, account, dryRun, add: false, known ?? new ServiceAccountIndex(), cancellationToken);

    private async Task<TargetResult?> ModifyAsync(IReadOnlyList<string> secrets, string ns, string account, bool dryRun, bool add, ServiceAccountIndex known,
        CancellationToken cancellationToken)
    {
        // Already as wanted in the version held: nothing to write, so no gate and no copy. Held versions are replaced,
        // never changed, so this read is safe beside a writer of the same account.
        if (AsWanted(secrets, ns, account, add, known)) return null;
        IDisposable gate;
        try
        {
            gate = await _locks.AcquireAsync((ns, account), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return new TargetResult(secrets[0], ns, Outcome.Failed, "timeout", $"service account {account}: run deadline reached while waiting to update it");
        }
        using (gate)
        {
            return await ModifyLockedAsync(secrets, ns, account, dryRun, add, known, cancellationToken);
        }
    }

    private async Task<TargetResult?> ModifyLockedAsync(IReadOnlyList<string> secrets, string ns, string account, bool dryRun, bool add,
        ServiceAccountIndex known, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var verb = "get";
            try
            {
                // Work on a copy: the listed object is shared by every target of this namespace (and by a cache).
                var held = attempt == 0 ? known.Find(ns, account) : null;
                var sa = held is not null
                    ? KubernetesJson.Deserialize<V1ServiceAccount>(KubernetesJson.Serialize(held))
                    : await kubernetes.Client.CoreV1.ReadNamespacedServiceAccountAsync(account, ns, cancellationToken: cancellationToken);
                // Every entry is applied (no short-circuit): the one replace carries them all.
                var changed = false;
                foreach (var secret in secrets) changed |= add ? Add(sa, secret) : Remove(sa, secret);
                if (!changed || dryRun) return null;
                verb = "update";
                known.Remember(await kubernetes.Client.CoreV1.ReplaceNamespacedServiceAccountAsync(sa, account, ns, cancellationToken: cancellationToken));
                return null;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < MaxConflictRetries)
            {
                // Someone outside this run changed the account between our read and write: read again and re-apply.
                known.Forget(ns, account);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                if (!add) return null; // nothing left to clean up
                return new TargetResult(secrets[0], ns, Outcome.Failed, ServiceAccountBatch.NotFound, $"service account {ns}/{account} does not exist");
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException
                                          || e is OperationCanceledException) // the run deadline, or a per-request timeout
            {
                var (reason, message) = KubernetesErrors.Describe(e, verb, "serviceaccounts", ns);
                return new TargetResult(secrets[0], ns, Outcome.Failed, reason, $"service account {account}: {message}");
            }
        }
    }

    private static bool MustAdd(V1ServiceAccount sa, string secret)
    {
        // An index loop: the batch asks this for every (namespace, account) of a pass.
        var references = sa.ImagePullSecrets;
        for (var i = 0; i < (references?.Count ?? 0); i++)
        {
            if (references![i].Name == secret) return false;
        }
        return true;
    }

    private static bool MustRemove(V1ServiceAccount sa, string secret) => AddedEntries(sa).Contains(secret);

    private static bool Add(V1ServiceAccount sa, string secret)
    {
        sa.ImagePullSecrets ??= [];
        if (sa.ImagePullSecrets.Any(r => r.Name == secret)) return false;
        sa.ImagePullSecrets.Add(new V1LocalObjectReference { Name = secret });
        var added = AddedEntries(sa);
        added.Add(secret);
        SetAddedEntries(sa, added);
        return true;
    }

    private static bool Remove(V1ServiceAccount sa, string secret)
    {
        var added = AddedEntries(sa);
        if (!added.Remove(secret)) return false;
        sa.ImagePullSecrets = sa.ImagePullSecrets?.Where(r => r.Name != secret).ToList();
        SetAddedEntries(sa, added);
        return true;
    }

    private static SortedSet<string> AddedEntries(V1ServiceAccount sa) =>
        new((sa.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);

    private static void SetAddedEntries(V1ServiceAccount sa, SortedSet<string> added)
    {
        sa.Metadata.Annotations ??= new Dictionary<string, string>();
        if (added.Count == 0) sa.Metadata.Annotations.Remove(ManagedSecret.AddedPullSecretsAnnotation);
        else sa.Metadata.Annotations[ManagedSecret.AddedPullSecretsAnnotation] = string.Join(",", added);
    }
}

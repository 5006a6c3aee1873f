using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Threading;

namespace SecretRotator.Rotation;

/// <summary>
/// Keeps service accounts' imagePullSecrets pointing at our secrets, and records what we added in an annotation so prune
/// removes only our own entries. ServiceAccount.imagePullSecrets is listType=atomic with no patch merge key (unlike
/// PodSpec's), so a strategic-merge patch would replace the whole list. The write is an RFC 6902 JSON patch instead, whose
/// precondition is exactly what the decision was made on: a <c>test</c> of the list (and of our annotation) as read, then
/// the new values. No resourceVersion is sent: another writer's labels, annotations, token secrets or a bumped version
/// never fail it (an update from a cached object would get a 409 for each of those). A changed list fails the test (422):
/// the account is read again and the change re-applied on top of the other writer's entries, never duplicating one.
/// The daemon reads accounts from its watch cache, which can still hold the version our own write replaced (the watch
/// event lags the write; the ADDED event of a new namespace's "default" arrives after we linked it): the patcher
/// remembers for a while which version each of its writes replaced and starts from its own write instead.
/// One instance serves the process (registered in DI): its per-account gate serialises writers across passes and events.
/// </summary>
public sealed class ServiceAccountPatcher(IKubernetesClientProvider kubernetes, TimeProvider time)
{
    private const int MaxConflictRetries = 5;

    /// <summary>How long a write's replaced version is recognised: far longer than a healthy watch takes to deliver it.</summary>
    internal static readonly TimeSpan OwnWriteMemory = TimeSpan.FromMinutes(2);
    private const int OwnWriteSweepThreshold = 1024;
    private int _sweepAt = OwnWriteSweepThreshold;

    // One writer per account: several targets adding to the same account (e.g. "default") queue up instead of
    // racing each other, and each starts from the version the previous one wrote (kept in the index).
    // Entries live only while an account is being written: namespaces come and go over a daemon's life.
    private readonly KeyedLock<(string Namespace, string Account)> _locks = new();

    // Per account, our latest write: the resourceVersion it replaced and what the server returned. Bounded by time
    // (OwnWriteMemory, swept once it holds many) and dropped as soon as a caller holds any other version.
    private readonly ConcurrentDictionary<(string Namespace, string Account), OwnWrite> _ownWrites = new();

    private sealed record OwnWrite(string? Replaced, V1ServiceAccount Written, DateTimeOffset At);

    /// <summary>Adds <paramref name="secret"/> to the account's imagePullSecrets if absent. Returns null on success, else a failed result.</summary>
    /// <param name="known">Accounts already listed (the pass's index, or a daemon's cache): saves the GET, and every request
    /// when nothing changes; the written version is recorded there. Null: the account is read.</param>
    public Task<TargetResult?> EnsureAsync(string secret, string ns, string account, bool dryRun, CancellationToken cancellationToken, ServiceAccountIndex? known = null) =>
        ModifyAsync([secret], ns, account, dryRun, add: true, known ?? new ServiceAccountIndex(), cancellationToken);

    /// <summary>Adds every one of <paramref name="secrets"/> that is absent in ONE patch (a pass's batch: two targets
    /// sharing "default" cost one write, not two). Returns null on success, else a failed result naming the
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
        PreferOwnWrite(ns, account, known);
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
            return new TargetResult(secrets[0], ns, Outcome.Failed, "timeout", $"service account {account}: run deadline reached while waiting to patch it");
        }
        using (gate)
        {
            PreferOwnWrite(ns, account, known); // a writer we queued behind may have just replaced the version held
            return await ModifyLockedAsync(secrets, ns, account, dryRun, add, known, cancellationToken);
        }
    }

    private async Task<TargetResult?> ModifyLockedAsync(IReadOnlyList<string> secrets, string ns, string account, bool dryRun, bool add,
        ServiceAccountIndex known, CancellationToken cancellationToken)
    {
        // The last 422 and the version its patch was made on.
        (HttpOperationException Error, V1ServiceAccount Tested)? rejection = null;
        for (var attempt = 0; ; attempt++)
        {
            var verb = "get";
            V1ServiceAccount? tested = null;
            try
            {
                var held = attempt == 0 ? known.Find(ns, account) : null;
                var current = held ?? await kubernetes.Client.CoreV1.ReadNamespacedServiceAccountAsync(account, ns, cancellationToken: cancellationToken);
                if (rejection is { } r && SameTested(r.Tested, current))
                {
                    // What the patch tested is still what the server holds: the 422 was not our precondition failing.
                    return Failed(secrets[0], ns, account, r.Error, "patch");
                }
                // Work on a copy of what the patch carries (the list and the annotations): the held object is shared by every
                // target of this namespace (and by a cache), and the rest of it never goes into the request.
                var sa = new V1ServiceAccount
                {
                    Metadata = new V1ObjectMeta { Annotations = current.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null },
                    ImagePullSecrets = current.ImagePullSecrets?.Select(r => new V1LocalObjectReference { Name = r.Name }).ToList(),
                };
                // Every entry is applied (no short-circuit): the one patch carries them all.
                var changed = false;
                foreach (var secret in secrets) changed |= add ? Add(sa, secret) : Remove(sa, secret);
                if (!changed || dryRun) return null;
                verb = "patch";
                tested = current;
                var patch = new V1Patch(PatchBody(current, sa), V1Patch.PatchType.JsonPatch);
                var written = await kubernetes.Client.CoreV1.PatchNamespacedServiceAccountAsync(patch, account, ns, cancellationToken: cancellationToken);
                known.Remember(written);
                RememberOwnWrite(ns, account, current.Metadata?.ResourceVersion, written);
                return null;
            }
            catch (HttpOperationException e) when ((int)e.Response.StatusCode == 422 && tested is not null && attempt < MaxConflictRetries)
            {
                // The list (or our annotation) is no longer what we read: another writer changed it. Read again and
                // re-apply on top of their entries.
                rejection = (e, tested);
                known.Forget(ns, account);
                _ownWrites.TryRemove((ns, account), out _);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                if (!add) return null; // nothing left to clean up
                return new TargetResult(secrets[0], ns, Outcome.Failed, ServiceAccountBatch.NotFound, $"service account {ns}/{account} does not exist");
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException
                                          || e is OperationCanceledException) // the run deadline, or a per-request timeout
            {
                return Failed(secrets[0], ns, account, e, verb);
            }
        }
    }

    private static TargetResult Failed(string secret, string ns, string account, Exception e, string verb)
    {
        var (reason, message) = KubernetesErrors.Describe(e, verb, "serviceaccounts", ns);
        return new TargetResult(secret, ns, Outcome.Failed, reason, $"service account {account}: {message}");
    }

    // The caller holds the version one of our writes replaced (a watch cache that has not caught up yet): start from our
    // write. Any other version held (the cache caught up, or someone wrote since) ends the memory.
    private void PreferOwnWrite(string ns, string account, ServiceAccountIndex known)
    {
        if (_ownWrites.IsEmpty || !_ownWrites.TryGetValue((ns, account), out var own)) return;
        if (time.GetUtcNow() - own.At > OwnWriteMemory)
        {
            _ownWrites.TryRemove(KeyValuePair.Create((ns, account), own));
            return;
        }
        var held = known.Find(ns, account);
        if (held is null || own.Replaced is null) return;
        if (held.Metadata?.ResourceVersion == own.Replaced) known.Remember(own.Written);
        else _ownWrites.TryRemove(KeyValuePair.Create((ns, account), own));
    }

    private void RememberOwnWrite(string ns, string account, string? replaced, V1ServiceAccount written)
    {
        var now = time.GetUtcNow();
        _ownWrites[(ns, account)] = new OwnWrite(replaced, written, now);
        if (_ownWrites.Count < Volatile.Read(ref _sweepAt)) return;
        foreach (var entry in _ownWrites)
        {
            if (now - entry.Value.At > OwnWriteMemory) _ownWrites.TryRemove(entry);
        }
        // The next sweep waits until the memory has doubled: a first pass writing 10,000 accounts within the memory's
        // two minutes removes nothing, and sweeping after every write past the threshold made that pass quadratic.
        Volatile.Write(ref _sweepAt, Math.Max(OwnWriteSweepThreshold, 2 * _ownWrites.Count));
    }

    /// <summary>Whether two versions agree on everything a patch tests: the list and our annotation.</summary>
    private static bool SameTested(V1ServiceAccount a, V1ServiceAccount b) =>
        Names(a).SequenceEqual(Names(b), StringComparer.Ordinal) && (a.ImagePullSecrets is null) == (b.ImagePullSecrets is null)
        && a.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation) == b.GetAnnotation(ManagedSecret.AddedPullSecretsAnnotation)
        && (a.Metadata?.Annotations is null) == (b.Metadata?.Annotations is null);

    private static IEnumerable<string?> Names(V1ServiceAccount sa) => sa.ImagePullSecrets?.Select(r => r.Name) ?? [];

    /// <summary>
    /// The JSON patch from <paramref name="before"/> (as read) to <paramref name="after"/>: test the list and our annotation
    /// as read (null: absent; the API server's json-patch treats a null test value as "absent"), then write the new ones.
    /// Built with <see cref="Utf8JsonWriter"/>: no reflection, nothing to trim.
    /// </summary>
    internal static string PatchBody(V1ServiceAccount before, V1ServiceAccount after)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            Operation(writer, "test", "/imagePullSecrets", w => WriteList(w, before.ImagePullSecrets));
            Operation(writer, "add", "/imagePullSecrets", w => WriteList(w, after.ImagePullSecrets ?? []));
            var key = ManagedSecret.AddedPullSecretsAnnotation;
            var wasAnnotated = before.GetAnnotation(key);
            var annotation = after.GetAnnotation(key);
            if (before.Metadata?.Annotations is null)
            {
                Operation(writer, "test", "/metadata/annotations", w => w.WriteNullValue());
                if (annotation is not null)
                {
                    Operation(writer, "add", "/metadata/annotations", w =>
                    {
                        w.WriteStartObject();
                        w.WriteString(key, annotation);
                        w.WriteEndObject();
                    });
                }
            }
            else
            {
                var path = "/metadata/annotations/" + Escape(key);
                Operation(writer, "test", path, w => WriteStringOrNull(w, wasAnnotated));
                if (annotation is not null) Operation(writer, "add", path, w => w.WriteStringValue(annotation));
                else if (wasAnnotated is not null) Operation(writer, "remove", path, null);
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Operation(Utf8JsonWriter writer, string op, string path, Action<Utf8JsonWriter>? value)
    {
        writer.WriteStartObject();
        writer.WriteString("op", op);
        writer.WriteString("path", path);
        if (value is not null)
        {
            writer.WritePropertyName("value");
            value(writer);
        }
        writer.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter writer, IList<V1LocalObjectReference>? list)
    {
        if (list is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartArray();
        foreach (var reference in list)
        {
            // As the API server serialises it: name is omitempty.
            writer.WriteStartObject();
            if (!string.IsNullOrEmpty(reference.Name)) writer.WriteString("name", reference.Name);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(value);
    }

    /// <summary>RFC 6901: '~' and '/' inside a key become ~0 and ~1.</summary>
    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>Whether the account's imagePullSecrets names the secret (the daemon's service-account watch asks too).</summary>
    public static bool Lists(V1ServiceAccount sa, string secret)
    {
        // An index loop: the batch asks this for every (namespace, account) of a pass.
        var references = sa.ImagePullSecrets;
        for (var i = 0; i < (references?.Count ?? 0); i++)
        {
            if (references![i].Name == secret) return true;
        }
        return false;
    }

    private static bool MustAdd(V1ServiceAccount sa, string secret) => !Lists(sa, secret);

    private static bool MustRemove(V1ServiceAccount sa, string secret) => AddedEntries(sa).Contains(secret);

    private static bool Add(V1ServiceAccount sa, string secret)
    {
        if (Lists(sa, secret)) return false;
        sa.ImagePullSecrets ??= [];
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

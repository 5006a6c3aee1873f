using System.Collections.Concurrent;
using k8s.Models;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator.Scheduling;

/// <summary>
/// Time to secret in production: <c>secret_rotator_namespace_ready_seconds</c>, from a namespace's
/// metadata.creationTimestamp to our managed secret being created in it, observed by the daemon. The rule (docs/monitoring.md):
/// only a namespace the daemon saw appear while watching (its ADDED event after the watches listed, or the webhook reading
/// one the watch has not delivered yet), never one that existed when the daemon started or after a relist; only a
/// <see cref="Outcome.Created"/> write (the namespace had no such secret), through the per-event reconcile (the webhook's
/// create goes through it too); once per (namespace, secret), so a rewrite, or the secret deleted and created again, is not
/// observed again. A namespace is remembered until it is deleted or for <see cref="Window"/>, whichever comes first.
/// </summary>
public sealed class NamespaceReadiness(RotatorMetrics metrics, TimeProvider time)
{
    /// <summary>How long after its creation a namespace's first write is still observed.</summary>
    internal static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private const int SweepThreshold = 1024;

    private readonly ConcurrentDictionary<string, Fresh> _fresh = new(StringComparer.Ordinal);

    private sealed class Fresh(DateTimeOffset created)
    {
        public DateTimeOffset Created { get; } = created;
        public ConcurrentDictionary<string, byte> Observed { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The daemon saw <paramref name="ns"/> appear while watching. A namespace without a creationTimestamp is ignored.</summary>
    public void Appeared(V1Namespace ns)
    {
        if (ns.Metadata?.Name is not { } name || ns.Metadata.CreationTimestamp is not { } created) return;
        var now = time.GetUtcNow();
        var at = new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc));
        if (now - at > Window) return;
        _fresh.TryAdd(name, new Fresh(at));
        if (_fresh.Count < SweepThreshold) return;
        foreach (var entry in _fresh)
        {
            if (now - entry.Value.Created > Window) _fresh.TryRemove(entry);
        }
    }

    public void Deleted(string ns) => _fresh.TryRemove(ns, out _);

    /// <summary>A per-event reconcile's outcome: observed when it created the secret in a namespace that <see cref="Appeared"/>.</summary>
    public void Written(TargetResult result)
    {
        if (result.Outcome != Outcome.Created || !_fresh.TryGetValue(result.Namespace, out var fresh)) return;
        var age = time.GetUtcNow() - fresh.Created;
        if (age > Window)
        {
            _fresh.TryRemove(KeyValuePair.Create(result.Namespace, fresh));
            return;
        }
        // Clock skew between the API server and us can make a young namespace look created in the future: 0, not negative.
        if (fresh.Observed.TryAdd(result.Secret, 0)) metrics.NamespaceReady(result.Secret, age < TimeSpan.Zero ? TimeSpan.Zero : age);
    }
}

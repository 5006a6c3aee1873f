using System.Collections.Concurrent;

namespace SecretRotator.Kubernetes.Watching;

/// <summary>
/// When each watch loop last made progress (a list, an event, a bookmark or a cleanly ended stream). A loop that makes
/// none for <c>stuckAfter</c> is reported stuck, and /healthz fails so the kubelet restarts the pod.
/// </summary>
public sealed class WatchHealth(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _progress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _forbidden = new(StringComparer.Ordinal);

    public void Register(string resource) => _progress.TryAdd(resource, time.GetUtcNow());

    public void Progress(string resource)
    {
        _progress[resource] = time.GetUtcNow();
        _forbidden.TryRemove(resource, out _);
    }

    /// <summary>The watch was refused (403) and waits for RBAC: /readyz fails, naming the rule, until it makes progress.</summary>
    public void Forbidden(string resource, string rule) => _forbidden[resource] = rule;

    /// <summary>Each refused watch and the rule it needs, by resource.</summary>
    public IReadOnlyList<string> ForbiddenRules() => [.. _forbidden.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}: {f.Value}")];

    public void Unregister(string resource)
    {
        _progress.TryRemove(resource, out _);
        _forbidden.TryRemove(resource, out _);
    }

    /// <summary>The loops without progress for longer than <paramref name="stuckAfter"/>.</summary>
    public IReadOnlyList<string> Stuck(TimeSpan stuckAfter)
    {
        var now = time.GetUtcNow();
        return _progress.Where(p => now - p.Value > stuckAfter).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
    }
}

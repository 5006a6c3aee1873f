using System.Collections.Concurrent;

namespace SecretRotator.Kubernetes.Watching;

/// <summary>
/// When each watch loop last made progress (a list, an event, a bookmark or a cleanly ended stream). A loop that makes
/// none for <c>stuckAfter</c> is reported stuck, and /healthz fails so the kubelet restarts the pod.
/// </summary>
public sealed class WatchHealth(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _progress = new(StringComparer.Ordinal);

    public void Register(string resource) => _progress.TryAdd(resource, time.GetUtcNow());

    public void Progress(string resource) => _progress[resource] = time.GetUtcNow();


    public void Unregister(string resource) => _progress.TryRemove(resource, out _);

    /// <summary>The loops without progress for longer than <paramref name="stuckAfter"/>.</summary>
    public IReadOnlyList<string> Stuck(TimeSpan stuckAfter)
    {
        var now = time.GetUtcNow();
        return _progress.Where(p => now - p.Value > stuckAfter).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
    }
}

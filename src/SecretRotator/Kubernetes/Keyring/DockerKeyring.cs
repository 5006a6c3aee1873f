using SecretRotator.Configuration;

namespace SecretRotator.Kubernetes.Keyring;

/// <summary>One <c>auths</c> entry as kubelet filed it: the key as written, and the key it is looked up by (null: ignored).</summary>
public sealed record KeyringEntry<T>(string Server, string? Key, T Value);

/// <summary>An entry that serves an image; <see cref="DockerHubDefault"/> when only the Docker Hub fallback picked it.</summary>
public sealed record KeyringHit<T>(KeyringEntry<T> Entry, bool DockerHubDefault);

/// <summary>
/// kubelet's BasicDockerKeyring: every pull secret of a pod is added in <c>imagePullSecrets</c> order, and
/// <see cref="Lookup"/> returns the entries kubelet tries for an image, in the order it tries them (keys sorted
/// in reverse, so longer paths come before their prefixes; entries under one key in the order they were added).
/// </summary>
public sealed class DockerKeyring<T>
{
    private readonly List<KeyringEntry<T>> _entries = [];

    public IReadOnlyList<KeyringEntry<T>> Entries => _entries;

    public KeyringEntry<T> Add(string server, T value)
    {
        var entry = new KeyringEntry<T>(server, KubeletKeys.Normalize(server), value);
        _entries.Add(entry);
        return entry;
    }

    /// <param name="image">The repository kubelet looks up: <see cref="ImageReference.Repository"/> for a pod's image.</param>
    public IReadOnlyList<KeyringHit<T>> Lookup(string image)
    {
        var keys = _entries.Where(e => e.Key is not null).Select(e => e.Key!).Distinct(StringComparer.Ordinal)
            .OrderByDescending(k => k, StringComparer.Ordinal);
        var hits = keys.Where(k => KubeletKeys.Match(k, image) == KeyMatch.Match)
            .SelectMany(k => _entries.Where(e => e.Key == k))
            .Select(e => new KeyringHit<T>(e, DockerHubDefault: false))
            .ToList();
        if (hits.Count > 0 || !KubeletKeys.IsDefaultRegistryMatch(image)) return hits;
        return _entries.Where(e => e.Key == KubeletKeys.DockerHubKey).Select(e => new KeyringHit<T>(e, DockerHubDefault: true)).ToList();
    }
}

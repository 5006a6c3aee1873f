using System.Collections.Concurrent;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;

namespace SecretRotator.Scheduling;

/// <summary>
/// The latest credential per registry, from the scheduled fetches, and the latest failure. A pass or a watch event is
/// served from here while the credential is valid, so a new namespace costs no token request. A failed fetch keeps the
/// previous credential until it expires, and its error is what a secret that lacks the registry reports.
/// </summary>
public sealed class CredentialCache(TimeProvider time) : ICredentialSource
{
    private readonly ConcurrentDictionary<string, (RegistryCredential Credential, DateTimeOffset FetchedAt)> _credentials = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RegistryResult> _failures = new(StringComparer.Ordinal);

    public void Store(string registry, RegistryCredential credential)
    {
        _credentials[registry] = (credential, time.GetUtcNow());
        _failures.TryRemove(registry, out _);
    }

    /// <summary>The last fetch failed: reported by every pass until a fetch succeeds.</summary>
    public void Failed(RegistryResult result) => _failures[result.Registry] = result;

    /// <summary>The cached credential unless it has expired.</summary>
    public RegistryCredential? Valid(string registry)
    {
        if (!_credentials.TryGetValue(registry, out var entry)) return null;
        return entry.Credential.ExpiresAt is { } expiry && expiry <= time.GetUtcNow() ? null : entry.Credential;
    }

    public DateTimeOffset? ExpiresAt(string registry) => _credentials.TryGetValue(registry, out var entry) ? entry.Credential.ExpiresAt : null;

    /// <summary>A pass's credential phase from the cache: no token request (the refresher fetched them on its schedule).</summary>
    public Task<(Dictionary<string, RegistryCredential> Fresh, Dictionary<string, RegistryResult> Results)> FetchAsync(
        IEnumerable<RegistryDefinition> registries, bool verify, CancellationToken cancellationToken, FetchDeadline? deadline = null)
    {
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        // Every registry whose last fetch failed is reported failed (its last-success time stays), due here or not.
        var results = new Dictionary<string, RegistryResult>(_failures, StringComparer.Ordinal);
        foreach (var registry in registries)
        {
            if (Valid(registry.Name) is { } credential)
            {
                fresh[registry.Name] = credential;
                // The token this pass hands out: its expiry is the registry's expiry gauge (as a fetch in `run` sets it).
                results.TryAdd(registry.Name, new RegistryResult(registry.Name, Fetched: false, credential.ExpiresAt));
            }
            else
            {
                results.TryAdd(registry.Name, new RegistryResult(registry.Name, Fetched: false, null, "no valid credential cached", "no_credential"));
            }
        }
        return Task.FromResult((fresh, results));
    }

    public void Clear()
    {
        _credentials.Clear();
        _failures.Clear();
    }
}

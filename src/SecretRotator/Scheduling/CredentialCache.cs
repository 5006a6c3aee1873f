using System.Collections.Concurrent;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;

namespace SecretRotator.Scheduling;

/// <summary>
/// The latest credential per registry, from the scheduled fetches. A watch event is served from here while the credential
/// is valid, so a new namespace costs no token request. A failed fetch keeps the previous credential until it expires.
/// </summary>
public sealed class CredentialCache(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (RegistryCredential Credential, DateTimeOffset FetchedAt)> _credentials = new(StringComparer.Ordinal);

    public void Store(string registry, RegistryCredential credential) => _credentials[registry] = (credential, time.GetUtcNow());

    /// <summary>The cached credential unless it has expired.</summary>
    public RegistryCredential? Valid(string registry)
    {
        if (!_credentials.TryGetValue(registry, out var entry)) return null;
        return entry.Credential.ExpiresAt is { } expiry && expiry <= time.GetUtcNow() ? null : entry.Credential;
    }

    public DateTimeOffset? ExpiresAt(string registry) => _credentials.TryGetValue(registry, out var entry) ? entry.Credential.ExpiresAt : null;

    public void Clear() => _credentials.Clear();
}

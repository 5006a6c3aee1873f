using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.CredentialProvider.TokenMode;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Keyring;
using SecretRotator.Registries;

namespace SecretRotator.CredentialProvider;

/// <summary>
/// One kubelet request to one response: match the image to the config's registries, fetch their credential (in token
/// mode the pod's own, through the cloud's exchange), and say how long kubelet may cache it (<see cref="CachePolicy"/>).
/// Every failure is a <see cref="CredentialProviderException"/> whose message is the one stderr line kubelet logs.
/// </summary>
public sealed class CredentialProviderService(
    IEnumerable<IRegistryProvider> providers,
    IEnumerable<ITokenModeSource> tokenSources,
    TimeProvider time,
    ILogger<CredentialProviderService> logger)
{
    private readonly Dictionary<string, IRegistryProvider> _providers = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);
    private readonly Dictionary<string, ITokenModeSource> _tokenSources = tokenSources.ToDictionary(s => s.RegistryType, StringComparer.Ordinal);

    public async Task<CredentialProviderResponse> ServeAsync(RotatorConfig config, string stdin, CancellationToken cancellationToken)
    {
        var (request, image) = RequestReader.Parse(stdin);
        var registries = RegistryMatcher.Match(config, _providers, image);
        if (registries.Count == 0) throw NoMatch(config, image);
        var token = string.IsNullOrEmpty(request.ServiceAccountToken) ? null
            : ServiceAccountToken.Read(request.ServiceAccountToken, request.ServiceAccountAnnotations, time.GetUtcNow());
        CredentialProviderLog.Matched(logger, image.Repository, string.Join(", ", registries.Select(r => r.Name)), token is not null);

        var auth = new Dictionary<string, CredentialProviderAuth>(StringComparer.Ordinal);
        DateTimeOffset? expiresAt = null;
        foreach (var registry in registries)
        {
            var credential = await FetchAsync(registry, token, cancellationToken);
            foreach (var (key, entry) in RegistryMatcher.Serving(credential, image)) auth.TryAdd(key, new CredentialProviderAuth(entry.Username, entry.Password));
            if (credential.ExpiresAt is { } expiry && (expiresAt is null || expiry < expiresAt)) expiresAt = expiry;
        }
        if (auth.Count == 0) throw NoMatch(config, image);

        // Registry: kubelet keeps the answer for the image's host. A key with a path (registry.example.com/team-a) serves
        // only part of that host, so its answer is kept per image, or another team's image would find it in the cache.
        // In token mode kubelet adds the service account (namespace, name, UID, annotations) to the key itself
        // (tokenAttributes.cacheType: ServiceAccount), so one pod's credential never serves another identity.
        var cacheKeyType = auth.Keys.Any(k => k.Contains('/', StringComparison.Ordinal)) ? CredentialProviderApi.Image : CredentialProviderApi.Registry;
        var response = new CredentialProviderResponse
        {
            CacheKeyType = cacheKeyType,
            CacheDuration = CachePolicy.CacheDuration(expiresAt, time.GetUtcNow()),
            Auth = auth,
        };
        CredentialProviderLog.Answered(logger, image.Repository, auth.Count, cacheKeyType, response.CacheDuration ?? "default");
        return response;
    }

    private async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, ServiceAccountToken? token, CancellationToken cancellationToken)
    {
        try
        {
            // Token mode only where the cloud can exchange the pod's token; a static registry serves its node-side secret to every pod.
            return token is not null && _tokenSources.TryGetValue(registry.Type, out var source)
                ? await source.ExchangeAsync(registry, token, cancellationToken)
                : await _providers[registry.Type].GetCredentialAsync(registry, cancellationToken);
        }
        catch (RegistryException e)
        {
            throw new CredentialProviderException($"registry {registry.Name} ({registry.Type}) failed ({e.Reason}): {e.Message}", e);
        }
    }

    private CredentialProviderException NoMatch(RotatorConfig config, ImageReference image)
    {
        var servers = config.Registries.SelectMany(r => _providers.TryGetValue(r.Type, out var p) ? p.ConfiguredServers(r) : []).Distinct(StringComparer.Ordinal).ToList();
        return new CredentialProviderException($"image {image.Repository} matches no registry of {config.File} (servers: {(servers.Count == 0 ? "none configured" : string.Join(", ", servers))}); " +
            "narrow matchImages in kubelet's CredentialProviderConfig to the registries this config serves");
    }
}

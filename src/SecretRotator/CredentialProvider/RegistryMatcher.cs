using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Keyring;
using SecretRotator.Registries;

namespace SecretRotator.CredentialProvider;

/// <summary>
/// Which registries of the config serve an image, by kubelet's own keyring rules (the ones <c>explain</c> uses): every
/// server a registry's config names is a keyring key, and the image's repository is looked up as kubelet would.
/// Registries whose servers only a fetch can tell (ECR without accounts, a mirror) are candidates only when no
/// configured server matches, so a plain static pull never pays for a cloud call.
/// </summary>
public static class RegistryMatcher
{
    public static IReadOnlyList<RegistryDefinition> Match(RotatorConfig config, IReadOnlyDictionary<string, IRegistryProvider> providers, ImageReference image)
    {
        var keyring = new DockerKeyring<RegistryDefinition>();
        var unknown = new List<RegistryDefinition>();
        foreach (var registry in config.Registries)
        {
            var servers = providers.TryGetValue(registry.Type, out var provider) ? provider.ConfiguredServers(registry) : [];
            if (servers.Count == 0) unknown.Add(registry);
            foreach (var server in servers) keyring.Add(server, registry);
        }
        var hits = keyring.Lookup(image.Repository).Select(h => h.Entry.Value).Distinct().ToList();
        return hits.Count > 0 ? hits : unknown;
    }

    /// <summary>
    /// The credential's entries that serve the image, keyed as kubelet files them (https://index.docker.io/v1/ →
    /// index.docker.io). kubelet would ignore the others for this pull, and a response holds only what it asked for.
    /// </summary>
    public static IEnumerable<(string Key, DockerAuthEntry Entry)> Serving(RegistryCredential credential, ImageReference image)
    {
        var keyring = new DockerKeyring<DockerAuthEntry>();
        foreach (var entry in credential.Entries) keyring.Add(entry.Server, entry);
        return keyring.Lookup(image.Repository).Select(h => (h.Entry.Key!, h.Entry.Value));
    }
}

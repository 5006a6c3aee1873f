using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Keyring;
using SecretRotator.Registries;
using SecretRotator.Registries.Mirror;

namespace SecretRotator.Explain;

/// <summary>
/// Warnings for configured <c>auths</c> keys that kubelet reads differently from how they look: a key that can never
/// serve the images users pull from that registry (checked against <c>images:</c> hints with kubelet's own matching),
/// a scheme or path kubelet ignores or treats as a prefix, an explicit default port, a Docker Hub key kubelet never
/// maps to docker.io. Offline: keys only a fetch reveals (ECR without accounts, mirrors) are not checked.
/// </summary>
public sealed class ServerKeyLint(IEnumerable<IRegistryProvider> providers)
{
    private readonly Dictionary<string, IRegistryProvider> _providers = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);

    // Any Docker Hub image; kubelet looks every one up as docker.io/<namespace>/<name>.
    private const string DockerHubProbe = "docker.io/library/nginx";

    public IReadOnlyList<ConfigError> Check(RotatorConfig config)
    {
        var warnings = new List<ConfigError>();
        foreach (var registry in config.Registries)
        {
            var servers = _providers.TryGetValue(registry.Type, out var provider) ? provider.ConfiguredServers(registry) : [];
            foreach (var server in servers)
            {
                if (KeyProblem(server, config.Settings.Verify) is { } problem) warnings.Add(At(registry.Location, "server", problem));
            }
            if (servers.Count > 0)
            {
                foreach (var hint in registry.Images)
                {
                    if (Unserved(hint.Image, servers) is { } why) warnings.Add(At(hint.Location, null, why));
                }
            }
            if (registry.Options is MirrorRegistryOptions source) warnings.AddRange(SelfMirror(config, registry, source));
        }
        return warnings;
    }

    /// <summary>What kubelet does differently with one key than a reader of the config would expect; null when nothing.</summary>
    public static string? KeyProblem(string server, bool verify)
    {
        if (KubeletKeys.Normalize(server) is not { } key || !RegistryUrl.TryParse(key, out var url))
            return $"kubelet cannot parse '{server}' as a registry URL and ignores this entry";
        var schemeEnd = server.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0 && !server.StartsWith("http://", StringComparison.Ordinal) && !server.StartsWith("https://", StringComparison.Ordinal))
            return $"kubelet only strips http:// and https://; '{server}' becomes a host named '{url.Host}' that no image has";

        if (KubeletKeys.DockerHubHosts.Contains(url.Host))
        {
            var keyring = new DockerKeyring<string>();
            keyring.Add(server, server);
            if (keyring.Lookup(DockerHubProbe).Count == 0)
                return $"kubelet looks Docker Hub images up as docker.io/<repository> and never matches '{server}' to them; "
                    + "use https://index.docker.io/v1/ (what docker login writes) or docker.io";
            if (key == KubeletKeys.DockerHubKey || key == ImageReference.DockerHubDomain) return null;
        }
        if (url.Port is "443" or "80")
            return $"kubelet compares ports as written: images pulled as {url.Host}/... (no port) never match '{server}'; write {url.Host}";
        if (url.Path.Length > 0)
            return $"kubelet treats the path {url.Path} of '{server}' as a prefix: it serves only images {key}... (also {key}-other/...), not the rest of {url.Authority}";
        var rest = schemeEnd >= 0 ? server[(schemeEnd + 3)..] : server;
        if (rest.Contains('/', StringComparison.Ordinal) && rest.TrimEnd('/') != url.Authority)
            return $"kubelet ignores the {rest[rest.IndexOf('/', StringComparison.Ordinal)..]} of '{server}': the key is {key}";
        if (server.StartsWith("https://", StringComparison.Ordinal))
            return $"kubelet ignores the scheme of '{server}': the key is {key}";
        if (server.StartsWith("http://", StringComparison.Ordinal) && !verify)
            return $"kubelet ignores the scheme of '{server}' (plain http is the container runtime's registry setting, not the key's): the key is {key}";
        return null;
    }

    /// <summary>Null when some key of the registry serves the image; otherwise why the closest key does not.</summary>
    private static string? Unserved(ImageReference image, IReadOnlyList<string> servers)
    {
        var keyring = new DockerKeyring<string>();
        foreach (var server in servers) keyring.Add(server, server);
        if (keyring.Lookup(image.Repository).Count > 0) return null;
        var reasons = keyring.Entries.Select(e => (Rank: e.Key is null ? 3 : KubeletKeys.Match(e.Key, image.Repository) == KeyMatch.HostDiffers ? 2 : 1,
            Text: $"'{e.Server}': {Explainer.Describe(e.Server, e.Key, image)}"));
        var closest = reasons.OrderBy(r => r.Rank).First();
        return $"kubelet would not use this registry's credential for {image.Original} (looked up as {image.Repository}): {closest.Text}";
    }

    /// <summary>A mirror whose source is one of the secrets this config writes would copy its own output.</summary>
    private static IEnumerable<ConfigError> SelfMirror(RotatorConfig config, RegistryDefinition registry, MirrorRegistryOptions source) =>
        config.Secrets.Where(t => t.Name == source.Name && t.Registries.Contains(registry.Name)
                && t.Namespaces.Names.Any(g => Glob.IsMatch(g, source.Namespace)) && !t.Namespaces.Exclude.Any(g => Glob.IsMatch(g, source.Namespace)))
            .Select(t => At(registry.Location, "source", $"the source {source} is also written by secret {t.Name} of this config: the mirror would copy its own output"));

    private static ConfigError At(SourceLocation location, string? field, string message) =>
        new(location.File, location.Line, location.Column, field is null ? location.Path : $"{location.Path}.{field}", message);
}

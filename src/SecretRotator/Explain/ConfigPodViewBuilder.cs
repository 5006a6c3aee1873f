using k8s.Exceptions;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;

namespace SecretRotator.Explain;

/// <summary>
/// A pod's view as a run of this config would leave it, built offline the way <c>render</c> builds its secrets
/// (same fetch, same <see cref="SecretBuilder"/>): targets selected in the namespace, referenced when they list the
/// service account. A registry that cannot be fetched offline is shown with the servers its config names.
/// </summary>
public sealed class ConfigPodViewBuilder(CredentialFetcher fetcher, IEnumerable<IRegistryProvider> providers, TimeProvider time)
{
    private readonly Dictionary<string, IRegistryProvider> _providers = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);

    public async Task<PodView> BuildAsync(RotatorConfig config, string ns, string serviceAccount, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var selected = config.Secrets.Where(t => Selects(t.Namespaces, ns, t.Name, notes)).ToList();
        var registries = selected.SelectMany(t => t.Registries).Distinct(StringComparer.Ordinal).Select(config.Registry).ToList();
        var (fresh, failed) = await FetchAsync(registries, cancellationToken);

        var now = time.GetUtcNow();
        var referenced = new List<PullSecretView>();
        var unreferenced = new List<PullSecretView>();
        foreach (var target in selected)
        {
            var desired = SecretBuilder.Build(target, ns, fresh, existing: null, now, config.Settings.Instance);
            var view = PullSecretReader.Read(desired.Secret);
            var fallback = desired.MissingRegistries.SelectMany(r => _providers[config.Registry(r).Type].ConfiguredServers(config.Registry(r))
                .Select(s => new PullSecretEntry(s, r, null, ExpiryKnown: false)));
            view = view with { Entries = [.. view.Entries, .. fallback] };
            (target.ServiceAccounts.Contains(serviceAccount, StringComparer.Ordinal) ? referenced : unreferenced).Add(view);
        }
        foreach (var (registry, error) in failed)
        {
            var servers = _providers[config.Registry(registry).Type].ConfiguredServers(config.Registry(registry));
            notes.Add(servers.Count > 0
                ? $"registry {registry} was not fetched ({error}); explained with the servers its config names: {string.Join(", ", servers)}"
                : $"registry {registry} was not fetched ({error}); its servers are only known after a fetch");
        }
        if (selected.Count == 0) notes.Add($"no secret of {config.File} selects namespace {ns}");
        return new PodView(ns, serviceAccount, "config", ServiceAccountFound: true, referenced, unreferenced, notes);
    }

    private static bool Selects(NamespaceSelection selection, string ns, string target, List<string> notes)
    {
        if (!selection.AdmitsName(ns)) return false;
        if (selection.Selector is { } selector)
            notes.Add($"secret {target} also requires the label selector '{selector}', which cannot be checked offline: assumed to match {ns}");
        return true;
    }

    /// <summary>One registry at a time, so one that needs the cluster (a {secret:} source, a mirror) does not hide the others.</summary>
    private async Task<(Dictionary<string, RegistryCredential> Fresh, List<(string Registry, string Error)> Failed)> FetchAsync(
        List<RegistryDefinition> registries, CancellationToken cancellationToken)
    {
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        var failed = new List<(string, string)>();
        foreach (var registry in registries)
        {
            try
            {
                var (credentials, results) = await fetcher.FetchAsync([registry], cancellationToken);
                if (credentials.TryGetValue(registry.Name, out var credential)) fresh[registry.Name] = credential;
                else failed.Add((registry.Name, results[registry.Name].Error ?? "no credential"));
            }
            catch (KubeConfigException)
            {
                failed.Add((registry.Name, "it reads from the cluster and no cluster connection is configured"));
            }
        }
        return (fresh, failed);
    }
}

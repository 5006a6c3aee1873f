using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Keyring;

namespace SecretRotator.Explain;

/// <summary>An <c>auths</c> entry kubelet would try, in kubelet's order (the first is used when it works).</summary>
public sealed record Candidate(string Secret, string Server, string Key, string? Registry, DateTimeOffset? ExpiresAt, bool DockerHubDefault, bool ExpiryKnown = true);

/// <summary>An entry that does not serve the image, with kubelet's reason.</summary>
public sealed record Miss(string Secret, string Server, string Reason, string Message);

/// <summary>Which credential kubelet would use for an image, or why none.</summary>
public sealed record Explanation(
    ImageReference Image,
    PodView View,
    IReadOnlyList<Candidate> Candidates,
    IReadOnlyList<Miss> Misses,
    IReadOnlyList<Candidate> Unreferenced,
    bool PullFails)
{
    /// <summary>The credential kubelet tries first; null means it pulls without credentials.</summary>
    public Candidate? Match => PullFails || Candidates.Count == 0 ? null : Candidates[0];
}

/// <summary>Runs kubelet's keyring over a pod's view for one image.</summary>
public static class Explainer
{
    public static Explanation Explain(ImageReference image, PodView view)
    {
        var repository = image.Repository;
        var keyring = new DockerKeyring<(PullSecretView Secret, PullSecretEntry Entry)>();
        foreach (var secret in view.Referenced.Where(s => s.State == PullSecretState.Ok))
        {
            foreach (var entry in secret.Entries) keyring.Add(entry.Server, (secret, entry));
        }
        var hits = keyring.Lookup(repository);
        var candidates = hits.Select(Candidate).ToList();
        var misses = keyring.Entries.Where(e => hits.All(h => h.Entry != e))
            .Select(e => new Miss(e.Value.Secret.Name, e.Server, Reason(e.Key, repository), Describe(e.Server, e.Key, image)))
            .ToList();

        var unreferenced = new List<Candidate>();
        foreach (var secret in view.Unreferenced.Where(s => s.State == PullSecretState.Ok))
        {
            var own = new DockerKeyring<(PullSecretView Secret, PullSecretEntry Entry)>();
            foreach (var entry in secret.Entries) own.Add(entry.Server, (secret, entry));
            unreferenced.AddRange(own.Lookup(repository).Select(Candidate));
        }
        return new Explanation(image, view, candidates, misses, unreferenced, view.Referenced.Any(s => s.State == PullSecretState.Malformed));
    }

    private static Candidate Candidate(KeyringHit<(PullSecretView Secret, PullSecretEntry Entry)> hit) =>
        new(hit.Entry.Value.Secret.Name, hit.Entry.Server, hit.Entry.Key!, hit.Entry.Value.Entry.Registry, hit.Entry.Value.Entry.ExpiresAt, hit.DockerHubDefault,
            hit.Entry.Value.Entry.ExpiryKnown);

    private static string Reason(string? key, string repository) => key is null ? "unparsable_key" : KubeletKeys.Match(key, repository) switch
    {
        KeyMatch.HostDiffers => "host_differs",
        KeyMatch.LabelCountDiffers => "label_count_differs",
        KeyMatch.PortDiffers => "port_differs",
        KeyMatch.PathNotPrefix => "path_not_prefix",
        _ => "unparsable_key",
    };

    /// <summary>Why a key does not serve the image, in the terms the user wrote them in.</summary>
    public static string Describe(string server, string? key, ImageReference image)
    {
        var repository = image.Repository;
        if (key is null || !RegistryUrl.TryParse(key, out var k) || !RegistryUrl.TryParse(repository, out var i))
            return $"kubelet cannot parse the key '{server}' and ignores it";
        var imagePort = i.Port.Length > 0 ? $"port {i.Port}" : "no port";
        switch (KubeletKeys.Match(key, repository))
        {
            case KeyMatch.LabelCountDiffers:
                return $"the glob {k.Host} spans {k.Labels.Length} dot-separated labels, {i.Host} has {i.Labels.Length}";
            case KeyMatch.PortDiffers:
                var fix = i.Port.Length > 0 ? $"write the key as {i.Authority}" : $"write the key without :{k.Port}";
                return $"port differs: the key has {(k.Port.Length > 0 ? $"port {k.Port}" : "no port")}, the image {imagePort} ({fix})";
            case KeyMatch.PathNotPrefix:
                return $"path {k.Path} is not a prefix of the image's path {i.Path}";
        }
        if (image.IsDockerHub && KubeletKeys.DockerHubHosts.Contains(k.Host))
            return $"kubelet looks Docker Hub images up as {repository}; the key '{server}' serves only images written {key}/...; "
                + "use https://index.docker.io/v1/ (what docker login writes) or docker.io";
        return $"no entry for host {i.Authority}: the key is for {k.Authority}";
    }
}

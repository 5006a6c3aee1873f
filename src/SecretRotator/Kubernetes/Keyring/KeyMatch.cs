namespace SecretRotator.Kubernetes.Keyring;

/// <summary>Whether a keyring key serves an image name, and if not, the first reason a person would fix.</summary>
public enum KeyMatch
{
    Match,
    /// <summary>The host labels differ (or the key's glob does not match them).</summary>
    HostDiffers,
    /// <summary>The key's host is a glob over a different number of dot-separated labels than the image's host.</summary>
    LabelCountDiffers,
    /// <summary>Same host, but the ports (compared as written, "" for none) differ.</summary>
    PortDiffers,
    /// <summary>Same host and port, but the key's path is not a prefix of the image's path.</summary>
    PathNotPrefix,
    /// <summary>Key or image is not a URL kubelet can parse (the entry is ignored / the image never matches).</summary>
    Unparsable,
}

/// <summary>
/// kubelet's rules for one <c>auths</c> key (pkg/credentialprovider/keyring.go): how <c>BasicDockerKeyring.Add</c>
/// normalises it, how <c>URLsMatch</c> compares it with an image name, and the Docker Hub fallback.
/// </summary>
public static class KubeletKeys
{
    /// <summary>The key Docker Hub credentials end up under (docker login writes https://index.docker.io/v1/).</summary>
    public const string DockerHubKey = "index.docker.io";

    /// <summary>Hosts people use for Docker Hub; only some of them serve Docker Hub images as keys.</summary>
    public static readonly IReadOnlySet<string> DockerHubHosts = new HashSet<string>(StringComparer.Ordinal)
        { "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com" };

    /// <summary>
    /// The key kubelet files an <c>auths</c> entry under: a leading http:// or https:// dropped, a leading /v1/ or /v2/
    /// of the path dropped, a bare "/" path dropped (<c>https://index.docker.io/v1/</c> → <c>index.docker.io</c>).
    /// Null when kubelet cannot parse it and ignores the entry.
    /// </summary>
    public static string? Normalize(string server)
    {
        var rest = server.StartsWith("https://", StringComparison.Ordinal) ? server["https://".Length..]
            : server.StartsWith("http://", StringComparison.Ordinal) ? server["http://".Length..]
            : server;
        if (!RegistryUrl.TryParse(rest, out var url)) return null;
        var path = url.Path.StartsWith("/v1/", StringComparison.Ordinal) || url.Path.StartsWith("/v2/", StringComparison.Ordinal)
            ? url.Path[3..]
            : url.Path;
        return path.Length > 0 && path != "/" ? url.Authority + path : url.Authority;
    }

    /// <summary>URLsMatch on two schemeless strings: a normalised key (glob per host label) against an image name.</summary>
    public static KeyMatch Match(string key, string image)
    {
        if (!RegistryUrl.TryParse(key, out var glob) || !RegistryUrl.TryParse(image, out var target)) return KeyMatch.Unparsable;
        // kubelet checks port, label count, path, then labels; the outcome is the same in any order, and the host
        // is what a person compares first, so a wrong host is reported before a wrong port.
        var globLabels = glob.Labels;
        var targetLabels = target.Labels;
        if (globLabels.Length != targetLabels.Length)
            return globLabels.Any(LabelGlob.IsPattern) && SuffixMatches(globLabels, targetLabels) ? KeyMatch.LabelCountDiffers : KeyMatch.HostDiffers;
        for (var i = 0; i < globLabels.Length; i++)
        {
            if (!LabelGlob.Matches(globLabels[i], targetLabels[i])) return KeyMatch.HostDiffers;
        }
        if (glob.Port != target.Port) return KeyMatch.PortDiffers;
        return target.Path.StartsWith(glob.Path, StringComparison.Ordinal) ? KeyMatch.Match : KeyMatch.PathNotPrefix;
    }

    /// <summary>
    /// isDefaultRegistryMatch: the image pulls from Docker Hub by its name alone (no '.' or ':' in its first
    /// component, or that component is docker.io / index.docker.io).
    /// </summary>
    public static bool IsDefaultRegistryMatch(string image)
    {
        var slash = image.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? image : image[..slash];
        if (first.Length == 0) return false;
        if (slash < 0 || first is "docker.io" or "index.docker.io") return true;
        return first.AsSpan().IndexOfAny('.', ':') < 0;
    }

    /// <summary>The glob's literal labels at the end agree with the target's (only the count is wrong).</summary>
    private static bool SuffixMatches(string[] glob, string[] target)
    {
        for (int g = glob.Length - 1, t = target.Length - 1; g >= 0 && t >= 0 && !LabelGlob.IsPattern(glob[g]); g--, t--)
        {
            if (glob[g] != target[t]) return false;
        }
        return true;
    }
}

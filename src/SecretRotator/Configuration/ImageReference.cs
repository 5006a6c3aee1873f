using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace SecretRotator.Configuration;

/// <summary>
/// An image reference as kubelet normalises it before looking up credentials (the reference grammar of
/// distribution/reference and its ParseNormalizedNamed): a name without a host is Docker Hub's, a one-part Docker
/// Hub name gets "library/", index.docker.io becomes docker.io, and tag and digest are dropped.
/// <c>nginx:1.27</c> → <c>docker.io/library/nginx</c>.
/// </summary>
/// <param name="Domain">Registry host[:port], e.g. docker.io, ghcr.io, registry.local:5000.</param>
/// <param name="Path">Repository path below the host, e.g. library/nginx.</param>
public sealed partial record ImageReference(string Original, string Domain, string Path, string? Tag, string? Digest)
{
    public const string DockerHubDomain = "docker.io";
    private const int MaxNameLength = 255;

    /// <summary>What kubelet passes to the keyring's Lookup.</summary>
    public string Repository => $"{Domain}/{Path}";

    public bool IsDockerHub => Domain == DockerHubDomain;

    // One path component: lowercase alphanumerics joined by '.', '_', '__' or runs of '-'.
    private const string Component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private const string DomainLabel = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Host = $"(?:{DomainLabel}(?:\\.{DomainLabel})*|\\[[a-fA-F0-9:]+\\])";

    [GeneratedRegex($"^(?<domain>{Host}(?::[0-9]+)?)/(?<path>{Component}(?:/{Component})*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}))?(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{{32,}}))?\\z")]
    private static partial Regex Grammar();

    [GeneratedRegex("^[a-f0-9]{64}\\z")]
    private static partial Regex ImageId();

    public static bool TryParse(string text, [NotNullWhen(true)] out ImageReference? image, [NotNullWhen(false)] out string? error)
    {
        image = null;
        error = null;
        if (text.Length == 0) error = "is empty";
        else if (ImageId().IsMatch(text)) error = "is a 64-character image ID, not a repository name";
        if (error is not null) return false;

        var (domain, remainder) = SplitDomain(text);
        var tagAt = remainder.IndexOf(':', StringComparison.Ordinal);
        var atDigest = remainder.IndexOf('@', StringComparison.Ordinal);
        var nameEnd = new[] { tagAt, atDigest, remainder.Length }.Where(i => i >= 0).Min();
        if (remainder.AsSpan(0, nameEnd).ContainsAnyInRange('A', 'Z'))
        {
            error = $"repository name '{remainder[..nameEnd]}' must be lowercase";
            return false;
        }
        var match = Grammar().Match($"{domain}/{remainder}");
        if (!match.Success)
        {
            error = "is not an image reference such as nginx, ghcr.io/org/app:1.0 or registry.local:5000/app@sha256:...";
            return false;
        }
        var path = match.Groups["path"].Value;
        if (domain.Length + 1 + path.Length > MaxNameLength)
        {
            error = $"repository name is longer than {MaxNameLength} characters";
            return false;
        }
        image = new ImageReference(text, domain, path,
            match.Groups["tag"].Success ? match.Groups["tag"].Value : null,
            match.Groups["digest"].Success ? match.Groups["digest"].Value : null);
        return true;
    }

    /// <summary>
    /// The first component is a host when it has a '.' or ':', is "localhost", or has an uppercase letter;
    /// otherwise the name is Docker Hub's.
    /// </summary>
    private static (string Domain, string Remainder) SplitDomain(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        string domain, remainder;
        if (slash < 0 || (name.AsSpan(0, slash).IndexOfAny('.', ':') < 0 && name[..slash] != "localhost" && !name.AsSpan(0, slash).ContainsAnyInRange('A', 'Z')))
            (domain, remainder) = (DockerHubDomain, name);
        else
            (domain, remainder) = (name[..slash], name[(slash + 1)..]);
        if (domain == "index.docker.io") domain = DockerHubDomain;
        if (domain == DockerHubDomain && !remainder.Contains('/', StringComparison.Ordinal)) remainder = "library/" + remainder;
        return (domain, remainder);
    }

    public override string ToString() => Original;
}

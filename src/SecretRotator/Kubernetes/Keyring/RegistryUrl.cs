namespace SecretRotator.Kubernetes.Keyring;

/// <summary>
/// A registry URL without scheme, read the way kubelet reads <c>auths</c> keys and image names: as Go's
/// <c>url.Parse("https://" + text)</c> does, then host and port split like <c>net.SplitHostPort</c>.
/// </summary>
/// <param name="Authority">host[:port] as written (kubelet's key for an entry without path).</param>
/// <param name="Host">The host without port; split on '.' into the labels a glob is matched against.</param>
/// <param name="Port">The port as written, or empty; compared as text, so "443" never equals "".</param>
/// <param name="Path">The percent-decoded path, possibly empty; a key's path must be a prefix of the image's.</param>
public sealed record RegistryUrl(string Authority, string Host, string Port, string Path)
{
    public string[] Labels => Host.Split('.');

    /// <summary>False where Go's url.Parse fails (kubelet then ignores the key, or never matches the image).</summary>
    public static bool TryParse(string schemeless, out RegistryUrl url)
    {
        url = new RegistryUrl("", "", "", "");
        if (schemeless.Any(c => c < ' ' || c == '\u007f')) return false;
        var text = schemeless;
        var cut = text.IndexOfAny(['#', '?']);
        if (cut >= 0) text = text[..cut];

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? text : text[..slash];
        var path = slash < 0 ? "" : text[slash..];
        var at = authority.LastIndexOf('@');
        if (at >= 0) authority = authority[(at + 1)..];
        if (!ValidAuthority(authority) || !TryUnescape(path, out path)) return false;

        var (host, port) = SplitHostPort(authority);
        url = new RegistryUrl(authority, host, port, path);
        return true;
    }

    /// <summary>Go's net.SplitHostPort; where it fails (no port, too many colons), the whole authority is the host.</summary>
    private static (string Host, string Port) SplitHostPort(string authority)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            return close > 0 && close + 1 < authority.Length && authority[close + 1] == ':' && authority.IndexOf(':', close + 2) < 0
                ? (authority[1..close], authority[(close + 2)..])
                : (authority, "");
        }
        var colon = authority.LastIndexOf(':');
        if (colon < 0 || authority.IndexOf(':', StringComparison.Ordinal) != colon) return (authority, "");
        return (authority[..colon], authority[(colon + 1)..]);
    }

    // url.Parse: an optional ":digits" port after the last colon (outside brackets), and only the characters
    // RFC 3986 allows in a host; bytes above ASCII pass.
    private static bool ValidAuthority(string authority)
    {
        var hostPart = authority;
        if (!authority.StartsWith('['))
        {
            var colon = authority.LastIndexOf(':');
            if (colon >= 0)
            {
                if (authority.AsSpan(colon + 1).ContainsAnyExceptInRange('0', '9')) return false;
                hostPart = authority[..colon];
            }
        }
        return hostPart.All(c => c >= 0x80 || char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:[]<>\"".Contains(c));
    }

    private static bool TryUnescape(string path, out string decoded)
    {
        decoded = path;
        if (!path.Contains('%')) return true;
        for (var i = path.IndexOf('%'); i >= 0; i = path.IndexOf('%', i + 1))
        {
            if (i + 2 >= path.Length || !char.IsAsciiHexDigit(path[i + 1]) || !char.IsAsciiHexDigit(path[i + 2])) return false;
        }
        decoded = Uri.UnescapeDataString(path);
        return true;
    }
}

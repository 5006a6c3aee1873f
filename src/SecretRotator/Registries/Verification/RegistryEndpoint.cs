namespace SecretRotator.Registries.Verification;

/// <summary>Turns a <c>.dockerconfigjson</c> server key into the base address of its Registry HTTP API v2.</summary>
public static class RegistryEndpoint
{
    /// <summary>
    /// <c>ghcr.io</c> → https://ghcr.io/; <c>https://index.docker.io/v1/</c> → https://registry-1.docker.io/ (Docker Hub's
    /// auth key is its v1 index, its v2 API lives elsewhere, as in the docker CLI); <c>http://127.0.0.1:5000</c> stays
    /// plain http, the one way to verify a local or insecure registry. Any path after the host is dropped.
    /// </summary>
    /// <summary>True when the server key names its scheme (http:// or https://).</summary>
    public static bool HasScheme(string server) =>
        server.TrimStart().StartsWith("http://", StringComparison.OrdinalIgnoreCase) || server.TrimStart().StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static Uri BaseUri(string server)
    {
        var rest = server.Trim();
        var scheme = Uri.UriSchemeHttps;
        if (rest.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = Uri.UriSchemeHttp;
            rest = rest["http://".Length..];
        }
        else if (rest.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["https://".Length..];
        }
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0) rest = rest[..slash];
        if (rest.Equals("docker.io", StringComparison.OrdinalIgnoreCase) || rest.Equals("index.docker.io", StringComparison.OrdinalIgnoreCase))
            rest = "registry-1.docker.io";
        if (rest.Length == 0 || !Uri.TryCreate($"{scheme}://{rest}/", UriKind.Absolute, out var uri) || uri.AbsolutePath != "/")
            throw new RegistryException(RegistryVerifier.FailedReason, $"server '{server}' is not a registry host");
        return uri;
    }
}

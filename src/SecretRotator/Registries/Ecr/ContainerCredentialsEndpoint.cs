namespace SecretRotator.Registries.Ecr;

/// <summary>
/// Where the container credentials provider asks and with what, read as AWSSDK.Core's GenericContainerCredentials
/// reads it: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (under the ECS host) before AWS_CONTAINER_CREDENTIALS_FULL_URI;
/// plain http only to loopback or the ECS/EKS link-local hosts; the Authorization value from
/// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read again on every call: kubelet rotates the projected token) before
/// AWS_CONTAINER_AUTHORIZATION_TOKEN.
/// </summary>
public sealed class ContainerCredentialsEndpoint(AwsEnvironment env)
{
    public const string RelativeUriVariable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    public const string FullUriVariable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    public const string TokenFileVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
    public const string TokenVariable = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

    private const string EcsHost = "169.254.170.2";
    private static readonly string[] EksAgentHosts = ["169.254.170.23", "[fd00:ec2::23]"];

    public Uri Resolve()
    {
        Uri? uri = null;
        if (env.Get(RelativeUriVariable) is { } relative)
            uri = new UriBuilder("http", EcsHost) { Path = relative }.Uri;
        else if (env.Get(FullUriVariable) is { } full && !Uri.TryCreate(full, UriKind.Absolute, out uri))
            throw new RegistryException("no_credentials", $"{FullUriVariable} is not an absolute URL");
        if (uri is null)
            throw new RegistryException("no_credentials", $"neither {RelativeUriVariable} nor {FullUriVariable} is set");
        if (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback && uri.Host != EcsHost && !EksAgentHosts.Contains(uri.Host))
            throw new RegistryException("no_credentials",
                $"{FullUriVariable} {uri} must use https, or http to loopback, {EcsHost} or the EKS Pod Identity agent ({string.Join(", ", EksAgentHosts)})");
        return uri;
    }

    /// <summary>How messages name the endpoint: the EKS Pod Identity agent, ECS's endpoint, or the URL's own kind.</summary>
    public static string Describe(Uri uri) =>
        EksAgentHosts.Contains(uri.Host) ? $"EKS Pod Identity agent {uri}"
        : uri.Host == EcsHost ? $"ECS container credentials endpoint {uri}"
        : $"container credentials endpoint {uri}";

    /// <summary>The Authorization header value, or null when neither variable is set.</summary>
    public async Task<string?> AuthorizationAsync(CancellationToken cancellationToken)
    {
        string? token;
        if (env.Get(TokenFileVariable) is { } file)
        {
            try
            {
                token = await File.ReadAllTextAsync(file, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RegistryException("no_credentials", $"cannot read {TokenFileVariable} '{file}': {e.Message}", e);
            }
        }
        else
        {
            token = env.Get(TokenVariable);
        }
        if (string.IsNullOrEmpty(token)) return null;
        // The SDK refuses a token with a line break too: it would split the request's header.
        if (token.AsSpan().ContainsAny('\r', '\n'))
            throw new RegistryException("no_credentials", $"the container authorization token ({TokenFileVariable} or {TokenVariable}) contains a line break");
        return token;
    }
}

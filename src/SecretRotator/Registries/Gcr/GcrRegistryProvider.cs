using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Gcr;

/// <summary>
/// Google Container Registry and Artifact Registry: one OAuth access token (cloud-platform scope) from
/// application default credentials, used as the password of <c>oauth2accesstoken</c> on every listed server.
/// </summary>
public sealed partial class GcrRegistryProvider(Lazy<GoogleCredentialLoader> loader, IamCredentialsClient iam, TimeProvider time, ILogger<GcrRegistryProvider> logger) : RegistryProvider<GcrRegistryOptions>
{
    public const string AccessTokenUsername = "oauth2accesstoken";

    public override string Type => "gcr";

    protected override IReadOnlyList<string> ServersOf(GcrRegistryOptions options) => options.Servers;

    protected override async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, GcrRegistryOptions options, CancellationToken cancellationToken)
    {
        var signIn = await loader.Value.LoadAsync(registry.Name, options, cancellationToken);

        // expires_in counts from when the server answered; taking our clock before asking keeps the expiry
        // we record no later than the real one, measured on the same clock that decides refreshes.
        var requestedAt = time.GetUtcNow();
        var token = await RequestTokenAsync(registry.Name, signIn, cancellationToken);
        if (token.ExpiresInSeconds is not { } seconds || string.IsNullOrEmpty(token.AccessToken))
            throw new RegistryException("invalid_token", $"the token response from {signIn.Description} has no access_token or expires_in");
        var (accessToken, expiresAt, identity) = (token.AccessToken, requestedAt + TimeSpan.FromSeconds(seconds), signIn.Description);

        foreach (var step in signIn.Chain)
        {
            var askedAt = time.GetUtcNow();
            var minted = await iam.GenerateAccessTokenAsync(step, accessToken, cancellationToken);
            // IAM's expireTime is on Google's clock; the lifetime we asked for bounds it on ours.
            var bound = askedAt + IamCredentialsClient.Lifetime;
            (accessToken, expiresAt, identity) = (minted.AccessToken, minted.ExpireTime < bound ? minted.ExpireTime : bound, $"{step.ServiceAccount} impersonated by {identity}");
        }

        LogCredential(logger, registry.Name, identity, options.Servers.Count, expiresAt);
        var entries = options.Servers.Select(s => new DockerAuthEntry(s, AccessTokenUsername, accessToken)).ToList();
        return new RegistryCredential(entries, expiresAt);
    }

    private static async Task<TokenResponse> RequestTokenAsync(string registry, GoogleSignIn signIn, CancellationToken cancellationToken)
    {
        try
        {
            // Always a new token, never one the library cached (application default credentials are shared
            // process-wide): its expires_in must count from the request we timed. Transient token endpoint
            // failures (5xx, network) are retried inside these calls with the library's bounded backoff.
            var token = signIn.Credential.UnderlyingCredential switch
            {
                ServiceCredential s => await s.RequestAccessTokenAsync(cancellationToken) ? s.Token : null,
                UserCredential u => await u.RefreshTokenAsync(cancellationToken) ? u.Token : null,
                _ => null,
            };
            return token ?? throw new RegistryException("invalid_token",
                $"{signIn.Description} gave no token response, so the token's expiry is unknown");
        }
        catch (TokenResponseException ex)
        {
            var status = ex.StatusCode is { } code ? $"HTTP {(int)code}, " : "";
            throw new RegistryException("auth_failed",
                $"Google token request via {signIn.Description} failed ({status}{ex.Error.Error}): {ex.Error.ErrorDescription ?? ex.Message}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new RegistryException("auth_failed", $"cannot reach Google's token endpoint via {signIn.Description}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException("auth_failed", $"Google token request via {signIn.Description} timed out", ex);
        }
        catch (InvalidOperationException ex)
        {
            // E.g. a metadata server that is not there, or an external account whose subject token cannot be read.
            throw new RegistryException("auth_failed", $"Google token request via {signIn.Description} failed: {ex.Message}", ex);
        }
    }

    [LoggerMessage(EventId = 2150, Level = LogLevel.Information, Message = "Registry {Registry}: Google access token via {Identity} (servers written: {ServerCount}), valid until {ExpiresAt:O}")]
    private static partial void LogCredential(ILogger logger, string registry, string identity, int serverCount, DateTimeOffset expiresAt);
}

using System.Text.Json;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Gcr;

namespace SecretRotator.CredentialProvider.TokenMode;

/// <summary>
/// Google token mode: Google STS exchanges the pod's token (RFC 8693) for a federated token of the workload identity
/// provider named by the registry's <c>stsAudience:</c>, which then impersonates the Google service account in the
/// annotation <see cref="ServiceAccountAnnotation"/> through IAM generateAccessToken (the same IAM call
/// <c>impersonate:</c> makes). The impersonated token is the registry password.
/// </summary>
public sealed class GoogleStsSource(IHttpClientFactory httpClients, IamCredentialsClient iam, TimeProvider time) : ITokenModeSource
{
    public const string ServiceAccountAnnotation = "iam.gke.io/gcp-service-account";
    public static readonly Uri DefaultStsEndpoint = new("https://sts.googleapis.com/v1/token");

    public string RegistryType => "gcr";

    public async Task<RegistryCredential> ExchangeAsync(RegistryDefinition registry, ServiceAccountToken token, CancellationToken cancellationToken)
    {
        var options = registry.OptionsAs<GcrRegistryOptions>();
        var target = token.Require(ServiceAccountAnnotation);
        var audience = options.StsAudience
            ?? throw new CredentialProviderException($"registry {registry.Name} has no stsAudience: token mode needs the workload identity provider Google STS trusts for service account tokens");
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["audience"] = audience,
            ["scope"] = GcrRegistryOptions.Scope,
            ["requested_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["subject_token"] = token.Value,
        };
        var url = options.StsEndpoint ?? DefaultStsEndpoint;
        string federated;
        using (var response = await TokenModeHttp.PostAsync(httpClients, url, new FormUrlEncodedContent(form), "Google STS", cancellationToken))
        {
            JsonDocument? body = null;
            try
            {
                body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            }
            catch (JsonException)
            {
                // An HTML error page from a proxy: the status says enough.
            }
            using (body)
            {
                if (!response.IsSuccessStatusCode)
                    throw new CredentialProviderException($"Google STS refused the service account token for {audience}: HTTP {(int)response.StatusCode} " +
                        $"{TokenModeHttp.Text(body, "error") ?? "(no error)"}: {TokenModeHttp.Text(body, "error_description") ?? "(no description)"}");
                federated = TokenModeHttp.Text(body, "access_token") ?? throw new CredentialProviderException("Google STS answered without access_token");
            }
        }

        var askedAt = time.GetUtcNow();
        ImpersonatedToken minted;
        try
        {
            minted = await iam.GenerateAccessTokenAsync(IamImpersonation.At(options.IamEndpoint ?? IamCredentialsClient.DefaultEndpoint, target), federated, cancellationToken);
        }
        catch (RegistryException e)
        {
            throw new CredentialProviderException($"IAM would not let the pod's identity act as {target}: {e.Message}", e);
        }
        // IAM's expireTime is on Google's clock; the lifetime asked for bounds it on ours.
        var bound = askedAt + IamCredentialsClient.Lifetime;
        var expiresAt = minted.ExpireTime < bound ? minted.ExpireTime : bound;
        return new RegistryCredential(options.Servers.Select(s => new DockerAuthEntry(s, GcrRegistryProvider.AccessTokenUsername, minted.AccessToken)).ToList(), expiresAt);
    }
}

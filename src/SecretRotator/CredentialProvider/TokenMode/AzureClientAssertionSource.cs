using System.Text.Json;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;

namespace SecretRotator.CredentialProvider.TokenMode;

/// <summary>
/// Azure token mode: the pod's token is the client assertion of an Entra client credentials grant for the client id in
/// <see cref="ClientIdAnnotation"/> (tenant from <see cref="TenantIdAnnotation"/>, the registry's tenantId or
/// AZURE_TENANT_ID), the same request Azure workload identity makes; the Entra token is then exchanged for an ACR
/// refresh token. One POST of our own rather than Azure.Identity: a process per pull gains nothing from MSAL's cache,
/// and Entra's AADSTS error stays one line for kubelet's log.
/// </summary>
public sealed class AzureClientAssertionSource(IHttpClientFactory httpClients, AcrTokenExchange exchange, IEnvironmentVariables env) : ITokenModeSource
{
    public const string ClientIdAnnotation = "azure.workload.identity/client-id";
    public const string TenantIdAnnotation = "azure.workload.identity/tenant-id";
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly Uri PublicCloud = new("https://login.microsoftonline.com/");

    public string RegistryType => "acr";

    public async Task<RegistryCredential> ExchangeAsync(RegistryDefinition registry, ServiceAccountToken token, CancellationToken cancellationToken)
    {
        var options = registry.OptionsAs<AcrRegistryOptions>();
        var clientId = token.Require(ClientIdAnnotation);
        var tenant = token.Optional(TenantIdAnnotation) ?? options.TenantId ?? env.Get("AZURE_TENANT_ID")
            ?? throw new CredentialProviderException($"no tenant for client {clientId}: annotate the service account with {TenantIdAnnotation}, or set tenantId on registry {registry.Name} or AZURE_TENANT_ID");
        var authority = env.Get("AZURE_AUTHORITY_HOST") is { } host ? new Uri(host.TrimEnd('/') + "/") : PublicCloud;
        var url = new Uri(authority, $"{Uri.EscapeDataString(tenant)}/oauth2/v2.0/token");
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["scope"] = options.Scope,
            ["client_assertion_type"] = AssertionType,
            ["client_assertion"] = token.Value,
        };
        string accessToken;
        using (var response = await TokenModeHttp.PostAsync(httpClients, url, new FormUrlEncodedContent(form), "Microsoft Entra", cancellationToken))
        {
            using var body = await ReadJsonAsync(response, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var description = TokenModeHttp.Text(body, "error_description") ?? TokenModeHttp.Text(body, "error") ?? "(no error description)";
                // Entra appends trace and correlation ids on further lines; the first line names the cause.
                throw new CredentialProviderException($"Microsoft Entra refused the client assertion for client {clientId}: HTTP {(int)response.StatusCode} {description.Split('\n')[0].Trim()}");
            }
            accessToken = TokenModeHttp.Text(body, "access_token") ?? throw new CredentialProviderException($"Microsoft Entra answered without access_token for client {clientId}");
        }

        string refreshToken;
        try
        {
            refreshToken = await exchange.ExchangeAsync(registry.Name, options, tenant, accessToken, cancellationToken);
        }
        catch (RegistryException e)
        {
            throw new CredentialProviderException($"ACR refused the Entra token of client {clientId}: {e.Message}", e);
        }
        var expiresAt = JwtClaims.TryReadExpiry(refreshToken)
            ?? throw new CredentialProviderException($"the ACR refresh token for {options.Server} has no readable exp claim");
        return new RegistryCredential([new DockerAuthEntry(options.Server, AcrRegistryProvider.RefreshTokenUsername, refreshToken)], expiresAt);
    }

    private static async Task<JsonDocument?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
